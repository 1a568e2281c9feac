#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// Prints `error` about the image at `path` on standard error, naming the path once
/// (`FileSystemError.message(about:)`; a `DeviceLocator.Failure` names the disk itself), prefixed
/// with the tool's name, and exits with status 1.
public func exitWithError(_ tool: String, image path: String, _ error: any Error) -> Never {
    if let failure = error as? DeviceLocator.Failure { exitWithError(tool, failure.description) }
    guard let error = error as? FileSystemError else { exitWithError(tool, "\(path): \(error)") }
    exitWithError(tool, error.message(about: path))
}

/// Prints `error` about the file system in `region` on standard error, naming the region (its
/// partition too: `FileSystemError.message(about:)` of a `DeviceRegion`), prefixed with the
/// tool's name, and exits with status 1.
public func exitWithError(_ tool: String, region: DeviceRegion, _ error: any Error) -> Never {
    if let failure = error as? DeviceLocator.Failure { exitWithError(tool, failure.description) }
    guard let error = error as? FileSystemError else { exitWithError(tool, "\(region.name): \(error)") }
    exitWithError(tool, error.message(about: region))
}

/// Prints `message` on standard error prefixed with the tool's name and exits with `code`.
public func exitWithError(_ tool: String, _ message: String, code: Int32 = 1) -> Never {
    let text = "\(tool): \(message)\n"
    _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    exit(code)
}
