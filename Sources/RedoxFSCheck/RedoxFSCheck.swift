// RedoxFSCheck: the consistency checker behind `redoxfs-fsck`.
//
// A check runs in named passes over one file system (see `CheckPass`); each pass is a file of its
// own (HeaderPass, TreePass, DirectoryPass, LinkCountPass, SpacePass, ScrubPass) sharing a
// `CheckContext`. Every finding is a `Problem` whose code is described by the `ProblemTable`
// (severity, explanation, fix policy); the whole run is summed up in a Codable `CheckReport`.
// Repairs are planned from the problems (`RepairPlan`) and carried out in one copy-on-write commit
// by the engine.
import RedoxFS
