// Settings and shared facts of one `repo` run: the tree, the target, the signing key, the
// toolchain version, the cache folder.
import Foundation
import Pkgar

/// How a run behaves (command-line flags and `COOKBOOK_*` variables).
public struct CookOptions: Sendable {
    /// Target triple of non-host recipes.
    public var target = "x86_64-unknown-redox"
    /// Builds running at once (default: the number of cores).
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// No network: sources must be present or local.
    public var offline = false
    /// LZMA2 packaging.
    public var compressed = false
    /// Keep going after a failure.
    public var nonstop = false
    /// Content-addressed cache folder (default `<root>/build/cache`, outside every `target/`).
    public var cacheDirectory: String?
    /// Fixed time of builds and metadata.
    public var sourceDateEpoch = "0"
    /// Print each build's log as it finishes.
    public var verbose = false
    /// A hang guard: a build script still running after this many seconds is stopped.
    public var buildTimeout = 7200

    public init() {}

    /// Options from the `COOKBOOK_*` environment (flags then override them).
    public static func fromEnvironment() -> CookOptions {
        let environment = ProcessInfo.processInfo.environment
        var options = CookOptions()
        func flag(_ name: String) -> Bool? { environment[name].map { ["1", "true", "yes"].contains($0.lowercased()) } }
        if let target = environment["COOKBOOK_TARGET"], !target.isEmpty { options.target = target }
        if let jobs = environment["COOKBOOK_MAKE_JOBS"].flatMap(Int.init), jobs > 0 { options.jobs = jobs }
        options.offline = flag("COOKBOOK_OFFLINE") ?? false
        options.compressed = flag("COOKBOOK_COMPRESSED") ?? false
        options.nonstop = flag("COOKBOOK_NONSTOP") ?? false
        options.verbose = flag("COOKBOOK_VERBOSE") ?? false
        if let cache = environment["COOKBOOK_CACHE"], !cache.isEmpty { options.cacheDirectory = cache }
        if let timeout = environment["COOKBOOK_BUILD_TIMEOUT"].flatMap(Int.init), timeout > 0 { options.buildTimeout = timeout }
        if let epoch = environment["SOURCE_DATE_EPOCH"], Int(epoch) != nil { options.sourceDateEpoch = epoch }
        return options
    }
}

/// The facts every recipe build shares.
public final class CookbookContext: @unchecked Sendable {
    /// Absolute cookbook root (the repository).
    public let root: String
    public let catalog: RecipeCatalog
    public let options: CookOptions
    /// The host's triple (`host:` builds).
    public let hostTarget: String
    /// Output of `swiftc --version` (part of every cache key).
    public let toolchainVersion: String
    /// HEAD of the cookbook repository, when it is a git checkout.
    public let commitIdentifier: String
    /// `SOURCE_DATE_EPOCH` as `YYYY-MM-DDTHH:MM:SSZ`.
    public let timeIdentifier: String
    private let lock = NSLock()
    private var key: SecretKey?

    public init(root: String, options: CookOptions) throws(CookbookError) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
        catalog = try RecipeCatalog(root: self.root)
        self.options = options
        var machine = utsname()
        uname(&machine)
        let architecture = withUnsafeBytes(of: machine.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        hostTarget = architecture + "-unknown-linux-gnu"
        toolchainVersion = (try? Shell.check(["swiftc", "--version"])) ?? "no swiftc"
        commitIdentifier = (try? Shell.check(["git", "-C", self.root, "rev-parse", "HEAD"])) ?? ""
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        timeIdentifier = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(Int(options.sourceDateEpoch) ?? 0)))
    }

    /// `build/` of the root (keys, logs, default cache).
    public var buildDirectory: String { root + "/build" }
    public var cacheDirectory: String { options.cacheDirectory ?? buildDirectory + "/cache" }
    public var secretKeyPath: String { buildDirectory + "/id_ed25519.toml" }
    public var publicKeyPath: String { buildDirectory + "/id_ed25519.pub.toml" }

    /// The triple a unit is built for.
    public func triple(of unit: BuildUnit) -> String { unit.isHost ? hostTarget : options.target }

    /// `<recipe>/target/<triple>`.
    public func targetDirectory(of unit: BuildUnit) throws(CookbookError) -> String {
        guard let directory = catalog.directories[unit.recipe] else { throw .recipeNotFound(unit.recipe) }
        return directory + "/target/" + triple(of: unit)
    }

    /// The log of a unit's last build.
    public func logPath(of unit: BuildUnit) -> String {
        buildDirectory + "/logs/" + triple(of: unit) + "/" + unit.recipe + ".log"
    }

    /// The signing key, generated (unencrypted) on first use as upstream's cookbook does.
    public func signingKey() throws(CookbookError) -> SecretKey {
        lock.lock()
        defer { lock.unlock() }
        if let key { return key }
        let loaded: SecretKey = try CookbookError.wrap { () throws(PkgarError) -> SecretKey in
            if try Posix.status(secretKeyPath) != nil { return try SecretKey.load(secretKeyPath) }
            try Posix.makeDirectories(buildDirectory)
            let generated = SecretKey.generate()
            try generated.save(to: secretKeyPath)
            try generated.publicKey.save(to: publicKeyPath)
            return generated
        }
        if (try? Posix.status(publicKeyPath)) == nil { try CookbookError.wrap { () throws(PkgarError) in try loaded.publicKey.save(to: publicKeyPath) } }
        key = loaded
        return loaded
    }
}
