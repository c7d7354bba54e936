#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory this process holds: what `quill train` reports beside its losses, and what the
/// benchmarks compare with their peers.
public enum ProcessMemory {
    /// The most resident memory the process has held, in bytes (`ru_maxrss`), as `time -v`
    /// reports it.
    public static var peakResidentBytes: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #if canImport(Darwin)
        return Int(usage.ru_maxrss)  // bytes on Darwin
        #else
        return Int(usage.ru_maxrss) * 1024  // kibibytes on Linux
        #endif
    }

    /// The resident memory now, in bytes (the second field of `/proc/self/statm`, in pages), or
    /// nil where the system does not say.
    public static var residentBytes: Int? {
        guard let file = fopen("/proc/self/statm", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 128)
        guard fgets(&line, Int32(line.count), file) != nil else { return nil }
        let fields = String(cString: line).split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
        return pages * sysconf(Int32(_SC_PAGESIZE))
    }

    /// Bytes as mebibytes, the unit the logs and benchmark tables use.
    public static func mebibytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }
}
