# The assertions of the kernel boot test (sourced by boot-test.sh after the boot; uses check,
# has, lacks, before, exit_status).
check "loader hands over, kernel banner with memory totals" \
    has "^kernel: memory: [0-9]+ MiB usable, [0-9]+ MiB free"
check "bootstrap starts and serves initfs" has "^bootstrap: serving initfs, started init \(pid [0-9]+\)"
check "init starts" has "^init: started \(pid [0-9]+\)"
for scheme in log null zero rand; do
    check "daemon registers $scheme" before "^kernel: scheme $scheme registered by [a-z]+d \(pid [0-9]+\)" "^init: scheme $scheme ready"
done
check "zero gives zeros" has "^schemetest: ok: zero: read gives 64 zero bytes"
check "fstat reaches the daemon" has "^schemetest: ok: zero: fstat answered by zerod"
check "null swallows" has "^schemetest: ok: null: swallows 100 bytes"
check "rand differs on two reads" has "^schemetest: ok: rand: two reads give different bytes"
check "log line with the program's name" has "^schemetest: hello through logd$"
check "fpath reaches the daemon" has "^schemetest: ok: log: line written, fpath is /scheme/log/schemetest$"
check "a pipe carries data between two processes" has "^schemetest: ok: pipe: carried \"message from the pipe writer, pid [0-9]+\""
check "event queue reports a readable pipe" has "^schemetest: ok: event: a pipe becoming readable is reported"
check "memory: maps anonymous memory" has "^schemetest: ok: memory: 64 KiB mapped zeroed"
check "futex" has "^schemetest: ok: futex"
check "a dying daemon fails its pending request" has "^schemetest: ok: a daemon dying with the request pending fails it with EIO"
check "/scheme lists the kernel's and the daemons' schemes" has "^schemetest: ok: /scheme lists [0-9]+ schemes"
check "unknown scheme" has "^schemetest: ok: opening an unknown scheme gives ENODEV"
check "schemetest: no failed check" has "^schemetest: [0-9]+ checks passed, 0 failed"
check "two busy processes both progress (preemption)" \
    eval 'before "^spin a: round 1" "^spin b: round 5" && before "^spin b: round 1" "^spin a: round 5"'
check "hostile: every case gives the right errno" has "^hostile: [0-9]+ cases gave the right result, 0 did not"
check "hostile: a mapping larger than memory fails with ENOMEM, memory is back after" \
    eval 'has "^hostile: mapping 4 GiB, more than the machine has: ENOMEM" && has "^hostile: memory is back afterwards: 1 MiB mapped"'
check "hostile: its child writing kernel memory ends alone" \
    eval 'has "^kernel: process [0-9]+ \(hostile\) killed: page fault at rip [0-9a-f]+, address ffffffff80000000" &&
          has "^hostile: the child writing kernel memory was ended by signal 11"'
check "hostile: division by zero ends only it" \
    eval 'has "^kernel: process [0-9]+ \(hostile\) killed: divide error" && has "^init: hostile \(pid [0-9]+\) ended by signal 8"'
check "the system goes on after the hostile program" before "^init: hostile \(pid [0-9]+\) ended" "^bench: "
check "redoxfs finds the boot volume by its UUID and serves it as file" \
    before "^redoxfs: mounted volume [0-9a-f-]{36} .* from /scheme/disk\.pci-[0-9a-f.-]+_virtio_blk/0p[0-9]+ as file" "^init: scheme file ready"
check "no kernel panic" lacks "kernel panic|kernel: halted"
check "power-off through isa-debug-exit" eval 'has "^kernel: power off" && [[ $exit_status -eq 33 ]]'
check "virtio-blkd registers a disk scheme per virtio-blk disk" \
    eval '[[ $(grep -cE "^kernel: scheme disk\.pci-0000-[0-9a-f]{2}-[0-9a-f]{2}\.[0-7]_virtio_blk registered by virtio-blkd \(pid [0-9]+\)" "$console") -eq 2 ]]'
check "disktest finds the second disk through its scheme" \
    before "^kernel: scheme disk\.pci-0000-[0-9a-f]{2}-[0-9a-f]{2}\.[0-7]_virtio_blk registered by virtio-blkd" "^disktest: ok: found the test disk at /scheme/disk\.pci-"
check "disk scheme: listing of the disk and its GPT partitions" has "^disktest: ok: listing gives the disk and its 3 partitions"
check "disk scheme: protective MBR signature 0x55AA" has "^disktest: ok: whole disk: protective MBR"
check "disk scheme: GPT header" has "^disktest: ok: whole disk: GPT header \"EFI PART\""
check "disk scheme: fstat and fpath of the whole disk" \
    eval 'has "^disktest: ok: whole disk: fstat gives a block device of [0-9]+ bytes" && has "^disktest: ok: whole disk: fpath is /scheme/disk\.pci-"'
check "disk scheme: the partition's known bytes" has "^disktest: ok: partition 1: fstat gives [0-9]+ bytes, its first MiB reads back as written"
check "disk scheme: reads stop at the partition's end" has "^disktest: ok: partition 1: a read at its end stops there"
check "disk scheme: a write reads back" has "^disktest: ok: partition 2: 700 bytes written at an unaligned offset read back"
check "disktest: no failed check" has "^disktest: [0-9]+ checks passed, 0 failed"
check "disk scheme: a disk and its partitions are not open together" has "^disktest: ok: a partition cannot be opened while the whole disk is \(ENOLCK\)"
check "disk scheme: the whole disk reads to its end" has "^disktest: ok: whole disk: reading it to the end gives its fstat size"
