#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import QuillTensor

/// One libFuzzer target: runs one input through a parser the `quill` command uses and checks the
/// property that parser promises, calling ``FuzzFailure/require(_:_:)`` rather than merely not crashing.
protocol FuzzTarget {
    /// The name `Fuzz/run.sh` knows the target by (one word, as in `static let name = "..."`).
    static var name: String { get }
    /// Runs one input.
    static func run(_ bytes: [UInt8])
}

/// Every target, in `Fuzz/run.sh --list` order.
let fuzzTargets: [any FuzzTarget.Type] = [
    SafeTensorsTarget.self, TokenizerFileTarget.self, ByteLevelBPETarget.self, TextTarget.self,
    REPLCommandTarget.self, LineReaderTarget.self,
]

/// The target chosen by `QUILL_FUZZ_TARGET` in `LLVMFuzzerInitialize`.
nonisolated(unsafe) private var selectedTarget: (any FuzzTarget.Type)?

/// Picks the target named by `QUILL_FUZZ_TARGET`; libFuzzer calls this once before any input.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let names = fuzzTargets.map { $0.name }.joined(separator: ", ")
    guard let name = getenv("QUILL_FUZZ_TARGET").map({ String(cString: $0) }) else {
        FuzzFailure.exit("set QUILL_FUZZ_TARGET to one of: \(names) (Fuzz/run.sh does)")
    }
    guard let target = fuzzTargets.first(where: { $0.name == name }) else {
        FuzzFailure.exit("unknown fuzz target \"\(name)\"; the targets are: \(names)")
    }
    // One thread: libFuzzer measures one input at a time, and the kernels' pool would only add noise.
    Threads.count = 1
    selectedTarget = target
    return 0
}

/// Runs one input through the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = selectedTarget else { FuzzFailure.exit("LLVMFuzzerInitialize did not run") }
    target.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// How a target reports a broken property: one `property failed:` line on stderr, then `abort()`,
/// which libFuzzer reports as a crash and saves the input that caused it.
enum FuzzFailure {
    /// Stops the run with `message` when `condition` is false.
    static func require(_ condition: Bool, _ message: @autoclosure () -> String,
                        file: StaticString = #fileID, line: UInt = #line) {
        guard !condition else { return }
        fputs("property failed: \(file):\(line): \(message())\n", stderr)
        abort()
    }

    /// Stops the run for a mistake in how it was started (not an input's fault).
    static func exit(_ message: String) -> Never {
        fputs("quill-fuzz: \(message)\n", stderr)
        Glibc.exit(2)
    }

    /// Checks that `error`, thrown for a bad input, explains itself and names `source`.
    static func requireClearError(_ error: any Error, naming source: String,
                                  file: StaticString = #fileID, line: UInt = #line) {
        let message = describe(error)
        require(message.contains(source), "the error does not name \(source): \(type(of: error)): \(message)",
                file: file, line: line)
    }

    /// The message a user sees for `error`.
    static func describe(_ error: any Error) -> String {
        if let localized = error as? any LocalizedError, let text = localized.errorDescription { return text }
        return String(describing: error)
    }
}

/// A scratch directory for targets whose parser reads a file: `QUILL_FUZZ_SCRATCH` (Fuzz/run.sh
/// makes one on tmpfs, so the writes and the checkpoint writer's fsync cost little, and removes it).
enum FuzzScratch {
    static let directory: String = {
        if let given = getenv("QUILL_FUZZ_SCRATCH") { return String(cString: given) }
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let path = "\(base)/quill-fuzz-\(getpid())"
        mkdir(path, 0o700)
        return path
    }()

    /// Writes `bytes` to the file `name` in the scratch directory and returns its path.
    static func write(_ bytes: [UInt8], to name: String) -> String {
        let path = "\(directory)/\(name)"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { FuzzFailure.exit("cannot create \(path)") }
        defer { close(descriptor) }
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, bytes.count - done) }
            guard written > 0 else { FuzzFailure.exit("cannot write \(path)") }
            done += written
        }
        return path
    }
}
