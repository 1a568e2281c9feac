"""Every case module of the POSIX suite; importing the package registers them all."""
from . import registry  # noqa: F401
from . import paths, chmod, chown, link, mkdir, mknod, open_, rename, rmdir, symlink, truncate, unlink, utimensat  # noqa: F401
