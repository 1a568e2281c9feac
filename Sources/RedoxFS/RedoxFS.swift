@_exported import RedoxFSEngine
@_exported import RedoxFSFormat
