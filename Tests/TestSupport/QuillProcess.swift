import Foundation

/// The result of running the `quill` executable (or another).
public struct QuillRun: Sendable {
    /// The exit status.
    public var status: Int32
    /// Everything written to stdout.
    public var output: String
    /// Everything written to stderr.
    public var error: String
}

/// The `quill` executable built beside the running test bundle.
public var quillExecutable: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("quill")
}

/// Runs `quill` with `arguments`, feeding `input` on stdin, and collects its output.
public func runQuill(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil,
                     currentDirectory: String? = nil) throws -> QuillRun {
    try run(quillExecutable, arguments, input: input, environment: environment, currentDirectory: currentDirectory)
}

/// Runs `executable` with `arguments`, feeding `input` on stdin, and collects its output.
public func run(_ executable: URL, _ arguments: [String], input: String? = nil, environment: [String: String]? = nil,
                currentDirectory: String? = nil) throws -> QuillRun {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let output = Pipe(), error = Pipe(), standardInput = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = standardInput
    try process.run()
    if let input { standardInput.fileHandleForWriting.write(Data(input.utf8)) }
    try standardInput.fileHandleForWriting.close()
    // Read both pipes concurrently so a full stderr pipe cannot block the child.
    let errorData = ReadBuffer()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errorData.data = error.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return QuillRun(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                    error: String(decoding: errorData.data, as: UTF8.self))
}

/// Bytes one thread reads and another takes after waiting on a `DispatchGroup`, which orders the two.
private final class ReadBuffer: @unchecked Sendable {
    var data = Data()
}

/// A temporary directory removed when the value is released.
public final class ScratchDirectory {
    /// The directory's path.
    public let path: String

    /// Creates a fresh directory under the system's temporary directory.
    public init(_ label: String = "quill-test") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        let target = file(name)
        try text.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }
}
