// The bubblewrap sandbox of a build (issue: hermetic builds): no network, the host's system
// folders read-only, the recipe's source read-only, only the build and stage folders writable,
// everything at fixed paths under /cookbook so outputs do not depend on where the tree lives,
// and a fixed environment.
import Foundation
import Pkgar

/// Folders and settings of one sandboxed build.
struct Sandbox {
    /// Paths inside the sandbox.
    enum Inside {
        static let root = "/cookbook"
        static let recipe = "/cookbook/recipe"
        static let source = "/cookbook/source"
        static let build = "/cookbook/build"
        static let stage = "/cookbook/stage"
        static let sysroot = "/cookbook/sysroot"
        static let toolchain = "/cookbook/toolchain"
    }

    let recipeDirectory: String
    let sourceDirectory: String
    let buildDirectory: String
    let stageDirectory: String
    let sysrootDirectory: String
    let toolchainDirectory: String
    let environment: [String: String]

    /// Host folders made visible read-only (when they exist).
    static let systemFolders = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt"]

    /// The folder holding `swiftc`, so the toolchain is found wherever it is installed.
    static let swiftBinDirectory: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") {
            let candidate = String(directory) + "/swiftc"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return (URL(fileURLWithPath: candidate).resolvingSymlinksInPath().deletingLastPathComponent().path)
            }
        }
        return nil
    }()

    /// The `bwrap` executable, or an error telling how to get it.
    static func bubblewrap() throws(CookbookError) -> String {
        for candidate in ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw .io("bubblewrap (bwrap) is needed to build recipes: install Debian's bubblewrap (scripts/install-deps.sh)")
    }

    /// The full command line running `bash` on standard input inside the sandbox.
    func command() throws(CookbookError) -> [String] {
        var arguments = [try Sandbox.bubblewrap(), "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
        var folders = Sandbox.systemFolders
        if let swiftBin = Sandbox.swiftBinDirectory {
            let toolchainRoot = URL(fileURLWithPath: swiftBin).deletingLastPathComponent().deletingLastPathComponent().path
            if !folders.contains(where: { toolchainRoot == $0 || toolchainRoot.hasPrefix($0 + "/") }) { folders.append(toolchainRoot) }
        }
        for folder in folders { arguments += ["--ro-bind-try", folder, folder] }
        arguments += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        arguments += ["--ro-bind", recipeDirectory, Inside.recipe]
        arguments += ["--ro-bind", sourceDirectory, Inside.source]
        arguments += ["--ro-bind", sysrootDirectory, Inside.sysroot]
        arguments += ["--ro-bind", toolchainDirectory, Inside.toolchain]
        arguments += ["--bind", buildDirectory, Inside.build]
        arguments += ["--bind", stageDirectory, Inside.stage]
        arguments += ["--chdir", Inside.build]
        for key in environment.keys.sorted() { arguments += ["--setenv", key, environment[key] ?? ""] }
        arguments += ["/bin/bash", "-e"]
        return arguments
    }

    /// The fixed environment of every build (plus the recipe's variables).
    static func environment(
        recipe: String, target: String, hostTarget: String, jobs: Int, sourceDateEpoch: String, extra: [String: String]
    ) -> [String: String] {
        var path = [Inside.toolchain + "/bin", Inside.toolchain + "/usr/bin", "/usr/local/bin", "/usr/bin", "/bin"]
        if let swiftBin = swiftBinDirectory, !path.contains(swiftBin) { path.append(swiftBin) }
        var environment: [String: String] = [
            "PATH": path.joined(separator: ":"),
            "HOME": "/tmp/home",
            "TMPDIR": "/tmp",
            "LC_ALL": "C",
            "LANG": "C",
            "TZ": "UTC",
            "SOURCE_DATE_EPOCH": sourceDateEpoch,
            "TARGET": target,
            "COOKBOOK_NAME": recipe,
            "COOKBOOK_HOST_TARGET": hostTarget,
            "COOKBOOK_ROOT": Inside.root,
            "COOKBOOK_RECIPE": Inside.recipe,
            "COOKBOOK_SOURCE": Inside.source,
            "COOKBOOK_BUILD": Inside.build,
            "COOKBOOK_STAGE": Inside.stage,
            "COOKBOOK_SYSROOT": Inside.sysroot,
            "COOKBOOK_TOOLCHAIN": Inside.toolchain,
            "COOKBOOK_MAKE_JOBS": String(jobs),
        ]
        for (key, value) in extra { environment[key] = value }
        return environment
    }
}
