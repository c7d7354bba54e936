import Foundation
import Testing
import TestSupport

/// Runs every `quill` command of the README's journey, so none of them can rot.
///
/// Commands run through bash in the package root with the built `quill` first on PATH. To keep
/// the suite fast, the corpus is replaced by its first lines, outputs go to a scratch directory,
/// and training commands get `--steps 2` and a small batch appended: they still parse every flag the README shows
/// and write real models, which the later commands then use.
@Suite(.serialized) struct ReadmeTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The README's shell commands that call `quill` (or write its pairs file), in order.
    static func commands() throws -> [String] {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var inShell = false
        var commands: [String] = []
        var pending = ""
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inShell = line == "```sh" && !inShell ? true : false; continue }
            guard inShell else { continue }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix("\\") { pending += text.dropLast() + " "; continue }
            let full = pending + text
            pending = ""
            if full.hasPrefix("quill ") || full.hasPrefix("Benchmarks/make-pairs.py ") { commands.append(full) }
        }
        return commands
    }

    @Test func everyReadmeCommandRuns() throws {
        let commands = try Self.commands()
        #expect(commands.count >= 12, "the README journey lost its commands: \(commands)")
        let scratch = try ScratchDirectory("quill-readme")
        let corpus = try String(contentsOf: Self.packageRoot.appendingPathComponent("corpora/kjv.txt"), encoding: .utf8)
        let slice = corpus.split(separator: "\n").prefix(24).joined(separator: "\n") + "\n"
        try scratch.write(slice, to: "kjv.txt")
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = quillExecutable.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["HOME"] = scratch.path
        for command in commands {
            var line = command
                .replacingOccurrences(of: "corpora/kjv.txt", with: scratch.file("kjv.txt"))
                .replacingOccurrences(of: "runs/my/", with: scratch.path + "/")
            if line.hasPrefix("quill train ") { line += " --steps 2 --threads 1 --batch-size 4" }
            if line.hasPrefix("quill train gpt ") { line += " --eval-batches 2" }
            if line.hasPrefix("quill repl ") { line = "printf ':sample 1\\n:quit\\n' | " + line }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", line]
            process.environment = environment
            process.currentDirectoryURL = Self.packageRoot
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let stderr = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0,
                    "README command failed: \(command)\n\(String(decoding: stderr.suffix(2000), as: UTF8.self))")
        }
    }
}
