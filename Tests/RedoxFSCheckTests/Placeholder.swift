import Testing
import RedoxFSCheck
