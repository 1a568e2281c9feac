/// Error numbers (kernel.md §2.6, Linux numbering); system calls return them negated.
enum Errno {
    static let EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, E2BIG = 7, ENOEXEC = 8, EBADF = 9
    static let ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17
    static let EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, EMFILE = 24, ESPIPE = 29, EPIPE = 32
    static let ENAMETOOLONG = 36, ENOSYS = 38, EOPNOTSUPP = 95, ETIMEDOUT = 110
}
