import RedoxFSCommandSupport

extension DeviceLocator {
    /// The region `configuration` names (its disk or uuid, partition and offset).
    public static func locate(_ configuration: MountConfiguration) throws(Failure) -> DeviceRegion {
        switch configuration.source {
        case .path(let path):
            return try locate(path: path, partition: configuration.partition, byteOffset: configuration.byteOffset)
        case .uuid(let uuid, let disk):
            return try locate(path: disk, uuid: uuid, byteOffset: configuration.byteOffset)
        }
    }
}
