import Foundation
import RedoxFS
import RedoxFSCheck
import RedoxFSTestSupport

/// The shared fixtures, as the checker's tests use them.
typealias CheckFixtures = Fixtures

extension Fixtures {
    /// Checks the image at `path` in-process.
    static func check(
        _ path: String, password: [UInt8]? = nil, repair: RepairMode = .none, scrub: Bool = false
    ) throws -> CheckReport {
        try check(path, options: CheckOptions(repair: repair, scrub: scrub, password: password))
    }

    /// Checks the image at `path` in-process with `options`.
    static func check(_ path: String, options: CheckOptions) throws -> CheckReport {
        let device = try FileDevice.open(path: path, readOnly: options.repair == .none)
        defer { device.close() }
        return try FileSystemChecker.check(device: device, options: options)
    }
}
