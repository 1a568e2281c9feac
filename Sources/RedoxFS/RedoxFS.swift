@_exported import RedoxFSFormat
