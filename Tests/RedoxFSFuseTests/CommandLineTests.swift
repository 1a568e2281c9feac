import RedoxFSFuse
import RedoxFS
import XCTest

/// The `redoxfs` command line: upstream's form, FUSE's flags, and mount.fuse3's argument order.
final class CommandLineTests: XCTestCase {
    func parse(_ line: String) throws -> MountConfiguration {
        try MountCommandLine.parse(line.split(separator: " ").map(String.init))
    }

    func testUpstreamForm() throws {
        let configuration = try parse("--no-daemon disk.img /mnt/redox 100")
        XCTAssertEqual(configuration.source, .path("disk.img"))
        XCTAssertEqual(configuration.mountpoint, "/mnt/redox")
        XCTAssertEqual(configuration.startBlock, 0x100)
        XCTAssertTrue(configuration.foreground)
        XCTAssertFalse(try parse("disk.img /mnt").foreground)
        XCTAssertTrue(try parse("-d disk.img /mnt").foreground)
    }

    func testRecordSizeOption() throws {
        XCTAssertEqual(try parse("disk.img /mnt").recordSize, .upstream)
        XCTAssertEqual(try parse("disk.img /mnt -o record_size=4k").recordSize.bytes, 4096)
        XCTAssertEqual(try parse("disk.img /mnt -o rw,record_size=16384").recordSize.level, 2)
        XCTAssertEqual(try parse("-o recordsize=64K disk.img /mnt").recordSize.bytes, 65536)
        for bad in ["record_size=5k", "record_size=", "record_size=256k", "record_size=4x"] {
            XCTAssertThrowsError(try parse("disk.img /mnt -o \(bad)")) { error in
                XCTAssertTrue("\(error)".contains("record_size takes 4k"), "\(error)")
            }
        }
        XCTAssertTrue(MountCommandLine.usage.contains("record_size=SIZE"))
    }

    func testRequestLoopOption() throws {
        XCTAssertEqual(try parse("disk.img /mnt").requestLoop, .libfuse)
        XCTAssertEqual(try parse("disk.img /mnt -o loop=libfuse").requestLoop, .libfuse)
        XCTAssertEqual(try parse("disk.img /mnt -o loop=leader").requestLoop, .leader)
        XCTAssertEqual(try parse("-o loop=leader,loop=libfuse disk.img /mnt").requestLoop, .libfuse)
        XCTAssertEqual(try parse("-o loop=libfuse,loop=leader disk.img /mnt").requestLoop, .leader)
        XCTAssertFalse(try parse("disk.img /mnt -o loop=leader").fuseOptions.contains("loop=leader"))
        XCTAssertThrowsError(try parse("disk.img /mnt -o loop=single")) { error in
            XCTAssertTrue("\(error)".contains("loop takes leader or libfuse"), "\(error)")
        }
        XCTAssertTrue(MountCommandLine.usage.contains("loop=leader"))
        XCTAssertTrue(MountCommandLine.usage.contains("loop=libfuse"))
    }

    func testOverlapCommitsOption() throws {
        XCTAssertTrue(try parse("disk.img /mnt").overlapCommits)
        XCTAssertFalse(try parse("disk.img /mnt -o rw,no_overlap_commits").overlapCommits)
        XCTAssertTrue(try parse("-o no_overlap_commits,overlap_commits disk.img /mnt").overlapCommits)
        XCTAssertFalse(try parse("disk.img /mnt -o no_overlap_commits").fuseOptions.contains("no_overlap_commits"))
        XCTAssertTrue(MountCommandLine.usage.contains("no_overlap_commits"))
    }

    func testMountHelperForm() throws {
        // mount.fuse3 runs: redoxfs SOURCE MOUNTPOINT -o OPTIONS
        let configuration = try parse("/srv/disk.img /mnt -o rw,dev,suid,allow_other,nofail,password_file=/etc/k,partition=2,x-systemd.automount")
        XCTAssertEqual(configuration.source, .path("/srv/disk.img"))
        XCTAssertEqual(configuration.partition, 2)
        XCTAssertEqual(configuration.passwordFile, "/etc/k")
        XCTAssertFalse(configuration.readOnly)
        XCTAssertEqual(configuration.fuseOptions, ["dev", "suid", "allow_other"])
    }

    func testReadOnlyAndFlags() throws {
        XCTAssertTrue(try parse("-o ro disk.img /mnt").readOnly)
        XCTAssertTrue(try parse("-oro,noexec disk.img /mnt").readOnly)
        XCTAssertTrue(try parse("--read-only disk.img /mnt").readOnly)
        XCTAssertEqual(try parse("-o noexec,nosuid disk.img /mnt").fuseOptions, ["noexec", "nosuid"])
        let configuration = try parse("-f --commit-interval=0.5 --threads 2 --debug -o no_writeback_cache disk.img /mnt")
        XCTAssertEqual(configuration.commitInterval, 0.5)
        XCTAssertEqual(configuration.maxThreads, 2)
        XCTAssertTrue(configuration.debug)
        XCTAssertFalse(configuration.writebackCache)
    }

    func testOlderGenerationMountsReadOnly() throws {
        let option = try parse("-o generation=1639 disk.img /mnt")
        XCTAssertEqual(option.generation, 1639)
        XCTAssertTrue(option.readOnly)
        XCTAssertTrue(try parse("--generation 7 -o rw disk.img /mnt").readOnly)
        XCTAssertNil(try parse("disk.img /mnt").generation)
        XCTAssertThrowsError(try parse("-o generation=x disk.img /mnt"))
    }

    /// relatime is the default; noatime and strictatime choose the others; none goes to libfuse.
    func testAccessTimeOptions() throws {
        XCTAssertEqual(try parse("disk.img /mnt").accessTimePolicy, .relative)
        XCTAssertEqual(try parse("-o noatime disk.img /mnt").accessTimePolicy, .never)
        let strict = try parse("-o allow_other,strictatime disk.img /mnt")
        XCTAssertEqual(strict.accessTimePolicy, .strict)
        XCTAssertEqual(strict.fuseOptions, ["allow_other"])
        XCTAssertEqual(try parse("-o noatime,relatime disk.img /mnt").accessTimePolicy, .relative)
    }

    func testPartitionAndUUID() throws {
        XCTAssertEqual(try parse("--partition 3 disk.img /mnt").partition, 3)
        let uuid = try parse("--uuid 846deed0-5cc9-4f3c-83b5-17e7e7e470b4 /mnt")
        XCTAssertEqual(uuid.source, .uuid("846deed0-5cc9-4f3c-83b5-17e7e7e470b4", disk: nil))
        XCTAssertEqual(uuid.mountpoint, "/mnt")
        let inDisk = try parse("--uuid abc /dev/null /mnt")
        XCTAssertEqual(inDisk.source, .uuid("abc", disk: "/dev/null"))
        XCTAssertEqual(try parse("none /mnt -o uuid=abc").source, .uuid("abc", disk: nil))
    }

    func testRefusals() {
        for line in ["", "disk.img", "a b c d", "--partition 0 d /m", "--partition x d /m", "--bogus d /m",
                     "--partition 1 --uuid u /m", "d /m zz", "--threads 0 d /m", "--commit-interval -1 d /m"] {
            XCTAssertThrowsError(try parse(line), line)
        }
        XCTAssertThrowsError(try parse("--help")) { error in
            guard case MountCommandLine.Failure.information(let text) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(text.contains("fusermount3 -u"))
        }
    }
}
