// The content-addressed build cache: one folder per (recipe, target, key) holding the packaged
// results, outside every recipe's target/ so `repo clean` keeps it.
import Foundation
import Pkgar

/// Stores and restores packaged results by build key.
struct BuildCache {
    let directory: String

    func entry(unit: BuildUnit, triple: String, key: String) -> String {
        directory + "/" + triple + "/" + unit.recipe + "/" + key
    }

    /// Copies the cached `stage*.pkgar`/`stage*.toml` into `targetDirectory`; false on a miss.
    func restore(unit: BuildUnit, triple: String, key: String, into targetDirectory: String) throws(CookbookError) -> Bool {
        let folder = entry(unit: unit, triple: triple, key: key)
        guard (try? Posix.status(folder + "/complete")) != nil else { return false }
        try CookbookError.wrap { () throws(PkgarError) in
            try Posix.makeDirectories(targetDirectory)
            for name in try Posix.directoryEntries(folder) where name.hasPrefix("stage") {
                let bytes = try Posix.readFile(folder + "/" + name)
                let destination = targetDirectory + "/" + name
                if (try? Posix.readFile(destination)) != bytes {
                    try Posix.writeFileAtomically(destination, bytes: bytes)
                }
            }
        }
        return true
    }

    /// Records the packaged results of `targetDirectory` under `key` (written aside, then renamed).
    func store(unit: BuildUnit, triple: String, key: String, from targetDirectory: String) throws(CookbookError) {
        let folder = entry(unit: unit, triple: triple, key: key)
        let temporary = folder + ".tmp.\(getpid())"
        try CookbookError.wrap { () throws(PkgarError) in
            try Posix.removeTree(temporary)
            try Posix.makeDirectories(temporary)
            for name in try Posix.directoryEntries(targetDirectory) where name.hasPrefix("stage") && (name.hasSuffix(".pkgar") || name.hasSuffix(".toml")) {
                try Posix.createFile(temporary + "/" + name, bytes: try Posix.readFile(targetDirectory + "/" + name), permissions: 0o644)
            }
            try Posix.createFile(temporary + "/complete", bytes: Array(key.utf8), permissions: 0o644)
            try Posix.removeTree(folder)
            try Posix.rename(temporary, to: folder)
        }
    }
}
