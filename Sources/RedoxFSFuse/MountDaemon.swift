#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import RedoxFSCommandSupport
import RedoxFSFormat

/// The life of one mount: open the file system (asking for a password when it is encrypted),
/// clean it up as upstream does, mount it, go into the background, serve requests on several
/// threads with periodic commits, and on unmount or SIGTERM/SIGINT/SIGHUP commit a last time and
/// close the device before the process exits.
public enum MountDaemon {
    /// Mounts as `configuration` says and serves until unmounted; returns the exit status.
    /// In the background mode the calling process exits 0 inside once the mount is up.
    public static func run(_ configuration: MountConfiguration) -> Int32 {
        let log = DaemonLog()
        HeapTuning.keepRecordBuffers()
        let inherited = openDescriptors().filter { $0 > 2 }
        // Absolute paths: the background process changes to / and unmounts by path.
        var configuration = configuration
        guard let mountpoint = absolutePath(configuration.mountpoint) else {
            log.error("\(configuration.mountpoint): \(String(cString: strerror(errno)))")
            return 1
        }
        configuration.mountpoint = mountpoint
        if let problem = permissionCheckProblem(configuration, realUser: getuid(), effectiveUser: geteuid()) {
            log.error(problem)
            return 1
        }
        var region: DeviceRegion
        do {
            region = try DeviceLocator.locate(configuration)
        } catch {
            log.error(error.description)
            return 1
        }
        region.path = absolutePath(region.path) ?? region.path
        let fileSystem: FileSystem
        do {
            fileSystem = try open(region, configuration, log: log)
        } catch {
            log.error(error.message(about: region))
            return 1
        }
        if fileSystem.isWritable {
            fileSystem.overlapsAutomaticCommits = configuration.overlapCommits
            do {
                try fileSystem.cleanup()
            } catch {
                log.error("\(region.path): cleanup at mount failed: \(error)")
                fileSystem.close()
                return 1
            }
        }

        // Writes' read-modify-write reads records past the page cache too (`-o direct_reads`).
        fileSystem.recordReadsBypassCache = configuration.directReads
        let processors = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        // Reads run together (the engine's shared lock) and a commit waiting for the device lets
        // them in, so more threads than processors pay: a thread waiting for I/O takes no CPU.
        let threads = configuration.maxThreads > 0 ? configuration.maxThreads : min(max(processors * 2, 4), 8)
        let bridge = FuseBridge(
            fileSystem: fileSystem, writebackCache: configuration.writebackCache,
            accessTimePolicy: configuration.accessTimePolicy, notifyStore: configuration.notifyStore,
            directReads: configuration.directReads, threads: threads, log: log)
        bridge.maximumRead = maximumRead(configuration)
        let userdata = Unmanaged.passRetained(bridge)
        defer { userdata.release() }
        guard let session = makeSession(configuration, region: region, userdata: userdata.toOpaque(), log: log) else {
            fileSystem.close()
            return 1
        }
        bridge.pageStore.session = session
        guard fuse_set_signal_handlers(session) == 0 else {
            log.error("cannot install signal handlers")
            fuse_session_destroy(session)
            fileSystem.close()
            return 1
        }
        guard fuse_session_mount(session, configuration.mountpoint) == 0 else {
            log.error("cannot mount on \(configuration.mountpoint)")
            fuse_remove_signal_handlers(session)
            fuse_session_destroy(session)
            fileSystem.close()
            return 1
        }
        if let device = ReadaheadTuner.device(of: configuration.mountpoint) {
            bridge.onInitialized = { ReadaheadTuner.raise(device: device) }
        }
        if !configuration.foreground {
            // The parent exits 0 here; the child keeps serving. No helper thread of the cleanup's
            // commit may hold the pool's lock at the fork (the child would find it locked).
            HelperPool.shared.waitUntilIdle()
            guard fuse_daemonize(0) == 0 else {
                fuse_session_unmount(session)
                fuse_remove_signal_handlers(session)
                fuse_session_destroy(session)
                fileSystem.close()
                return 1
            }
            log.switchToSystemLog()
            // Descriptors the caller let us inherit would stay open as long as the daemon runs
            // (a caller waiting for a pipe's end would wait for the unmount).
            for descriptor in inherited { close(descriptor) }
        }

        var timer: CommitTimer?
        if fileSystem.isWritable && configuration.commitInterval > 0 {
            timer = CommitTimer(
                fileSystem: fileSystem, interval: configuration.commitInterval, log: log, beforeCommit: { bridge.settleAllWrites() })
            timer?.start()
        }
        // SIGTERM, SIGINT and SIGHUP end the session only once no store runs (libfuse's handlers
        // would end it at once, and a store could then wait for ever).
        let shutdown = SignalShutdown(session: session, pageStore: bridge.pageStore)
        shutdown?.start()
        let loopResult = serve(
            session, threads: threads, loop: configuration.requestLoop, singleThreaded: { bridge.pageStore.stopStoring() })
        shutdown?.finish()
        // The store thread is no request worker the loop joins: no store may use the session
        // once it is destroyed below.
        bridge.pageStore.finishStores()
        timer?.stop()
        if configuration.debug {
            let counts = bridge.pageStore.counts
            log.notice("notify_store: \(counts.stores) stores, \(counts.pages) pages, \(counts.deferred) changes deferred")
            if let device = fileSystem.device.base as? FileDevice {
                log.notice("direct_reads: \(device.directReadCount) direct reads")
            }
        }
        if loopResult < 0 { log.error("request loop ended: \(String(cString: strerror(-loopResult)))") }

        // Detach first, so nobody waits on a mount that no longer answers; then make the image
        // consistent and close it. The process exits only after this.
        fuse_remove_signal_handlers(session)
        SignalShutdown.ignoreUntilExit()
        fuse_session_unmount(session)
        fuse_session_destroy(session)
        // Writes answered but not yet given to the engine (the kernel wrote its cache back
        // before letting go); a failure here can only be logged.
        bridge.settleAllWrites()
        bridge.reportStatistics("unmount")
        do {
            try fileSystem.unmount()
        } catch {
            log.error("\(region.path): final commit failed: \(error)")
            return 1
        }
        return 0
    }

    /// Runs the multi-threaded request loop until the file system is unmounted or the session is
    /// told to exit (a signal, through `SignalShutdown`): ours (`RequestLoop`) or libfuse's. `singleThreaded` runs first when only libfuse's
    /// single-threaded loop can be had.
    static func serve(
        _ session: OpaquePointer, threads: Int, loop: MountConfiguration.RequestLoopKind = .libfuse,
        singleThreaded: () -> Void = {}
    ) -> Int32 {
        if loop == .leader {
            return RequestLoop(session: session, maxWorkers: threads).run()
        }
        guard let loopConfiguration = fuse_loop_cfg_create() else {
            singleThreaded()
            return fuse_session_loop(session)
        }
        defer { fuse_loop_cfg_destroy(loopConfiguration) }
        fuse_loop_cfg_set_max_threads(loopConfiguration, UInt32(threads))
        fuse_loop_cfg_set_idle_threads(loopConfiguration, UInt32(threads))
        fuse_loop_cfg_set_clone_fd(loopConfiguration, 0)
        return fuse_session_loop_mt(session, loopConfiguration)
    }

    /// The largest READ the kernel sends by default: 128 KiB, one record. The kernel's readahead
    /// (1 MiB, `ReadaheadTuner`) then goes out as several READs at once, which the request
    /// threads serve side by side (device reads, decryption and verification on both
    /// processors). Measured against 1 MiB READs (a cold `dd bs=1M` of 512 MiB, four rounds):
    /// plain 0.29 s against 0.30–0.66 s, encrypted 0.30–0.37 s against 0.35–0.58 s.
    static let defaultMaximumRead: UInt32 = 128 << 10

    /// The `-o max_read=N` given on the command line, if any.
    static func userMaximumRead(_ configuration: MountConfiguration) -> UInt32? {
        configuration.fuseOptions.reduce(nil) { (found, option) in
            option.hasPrefix("max_read=") ? UInt32(option.dropFirst("max_read=".count)) ?? found : found
        }
    }

    /// The largest READ of the session: `-o max_read=N`, else `defaultMaximumRead`.
    static func maximumRead(_ configuration: MountConfiguration) -> UInt32 {
        userMaximumRead(configuration) ?? defaultMaximumRead
    }

    /// Why `configuration` may not leave the kernel's permission checks out, or nil when it may
    /// (or keeps them). Without `default_permissions` FUSE itself lets through only callers
    /// whose real, effective and saved user and group ids are the mounting user's (libfuse mounts
    /// for the real user id), and the daemon answers ACCESS as the kernel would for root. That
    /// is root's own rights only for a daemon whose real and effective user ids are root's, on a
    /// mount without `allow_other` or `allow_root`; even then callers with root's user ids but
    /// other file-system ids or fewer capabilities pass (the help text says so).
    static func permissionCheckProblem(
        _ configuration: MountConfiguration, realUser: uid_t, effectiveUser: uid_t
    ) -> String? {
        guard !configuration.kernelChecksPermissions else { return nil }
        if let shared = configuration.fuseOptions.first(where: { $0 == "allow_other" || $0 == "allow_root" }) {
            return "no_default_permissions cannot be combined with \(shared): other users would pass unchecked"
        }
        if realUser != 0 || effectiveUser != 0 {
            return "no_default_permissions needs a mount made by root (real and effective user id 0)"
        }
        return nil
    }

    /// The libfuse session with our operations and the mount options.
    static func makeSession(
        _ configuration: MountConfiguration, region: DeviceRegion, userdata: UnsafeMutableRawPointer, log: DaemonLog
    ) -> OpaquePointer? {
        var options = ["subtype=redoxfs", "fsname=" + escapeOption(region.path)]
        if configuration.kernelChecksPermissions { options.insert("default_permissions", at: 0) }
        if configuration.readOnly { options.append("ro") }
        if userMaximumRead(configuration) == nil { options.append("max_read=\(defaultMaximumRead)") }
        options += configuration.fuseOptions
        var arguments = ["redoxfs", "-o", options.joined(separator: ",")]
        if configuration.debug { arguments.append("-d") }

        var fuseArguments = fuse_args(argc: 0, argv: nil, allocated: 0)
        defer { fuse_opt_free_args(&fuseArguments) }
        for argument in arguments where fuse_opt_add_arg(&fuseArguments, argument) != 0 {
            log.error("out of memory")
            return nil
        }
        var operations = FuseOperationsTable.make()
        guard let session = fuse_session_new(&fuseArguments, &operations, MemoryLayout<fuse_lowlevel_ops>.size, userdata) else {
            log.error("cannot start FUSE (bad mount options?): -o \(options.joined(separator: ","))")
            return nil
        }
        return session
    }

    /// The descriptors open in this process (read from /proc/self/fd).
    static func openDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        var open: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if let descriptor = Int32(name) { open.append(descriptor) }
        }
        let own = dirfd(directory)
        closedir(directory)
        return open.filter { $0 != own }
    }

    /// `path` with symbolic links and relative parts resolved, or nil when it does not exist.
    static func absolutePath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Escapes `\` and `,` for a libfuse option value.
    static func escapeOption(_ value: String) -> String {
        var escaped = ""
        for character in value {
            if character == "," || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// Opens the file system in `region`; an encrypted one takes the password from the password
    /// file, or asks for it (on the terminal, or a line of standard input) up to 10 times as
    /// upstream does; an empty answer gives up. A file system larger than its partition says so
    /// (`FileSystemError.explained(region:device:startBlock:)`).
    static func open(_ region: DeviceRegion, _ configuration: MountConfiguration, log: DaemonLog) throws(FileSystemError) -> FileSystem {
        let device = try FileDevice.open(
            path: region.path, readOnly: configuration.readOnly, byteOffset: region.byteOffset, byteLength: region.byteLength)
        func attempt(_ password: [UInt8]?) throws(FileSystemError) -> FileSystem {
            let fs = try FileSystem(
                device: device, startBlock: configuration.startBlock, password: password, writable: !configuration.readOnly,
                generation: configuration.generation, fileRecordSize: configuration.recordSize)
            if let torn = fs.tornNewestCommit { log.notice(torn.description) }
            return fs
        }
        do throws(FileSystemError) {
            do {
                return try attempt(nil)
            } catch .format(.passwordRequired) {
                if let file = configuration.passwordFile {
                    return try attempt(try PasswordInput.read(file: file, prompt: ""))
                }
                for _ in 0..<10 {
                    let password = try PasswordInput.read(file: nil, prompt: "redoxfs: password: ")
                    guard !password.isEmpty else { break }
                    do {
                        return try attempt(password)
                    } catch .format(.wrongPassword) {
                        log.error("wrong password")
                    }
                }
                throw .format(.passwordRequired)
            }
        } catch {
            let explained = error.explained(region: region, device: device, startBlock: configuration.startBlock)
            device.close()
            throw explained
        }
    }
}
