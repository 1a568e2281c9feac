import RedoxFS

extension FileSystemError {
    /// The error in words about the file system in `region`: `message(about:)` of its path, with
    /// the partition named too (`disk.img (partition 3): ...`) unless a system error about the
    /// path names the path itself.
    public func message(about region: DeviceRegion) -> String {
        if case .system(_, region.path, _) = self { return message(about: region.path) }
        return "\(region.name): \(description)"
    }
}
