import Foundation
import Testing
import TestSupport

/// Every subcommand's `--help`, compared with a committed snapshot so changes to the stable
/// surface (../shared/CLI.md) are deliberate. Regenerate with
/// `QUILL_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshotTests`.
@Suite struct HelpSnapshotTests {
    static let commands = [
        "", "vocab build", "tokenize", "segment", "train", "train char-rnn", "train gpt", "train vae", "train hvae",
        "train lm", "eval", "sample", "reconstruct", "interpolate", "repl", "info", "report", "export",
    ]

    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Snapshots/help")

    @Test(arguments: commands)
    func helpMatchesSnapshot(_ command: String) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "100"
        let arguments = command.split(separator: " ").map(String.init) + ["--help"]
        let run = try runQuill(arguments, environment: environment)
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("USAGE: quill"))
        let name = command.isEmpty ? "quill" : command.replacingOccurrences(of: " ", with: "-")
        let file = Self.snapshots.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["QUILL_UPDATE_SNAPSHOTS"] != nil {
            try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
            try run.output.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(run.output == expected, "quill \(arguments.joined(separator: " ")) changed; review and regenerate the snapshot")
    }

    @Test func unbuiltAndMistakenUsageGetOneLine() throws {
        let sample = try runQuill(["sample", "/nonexistent/model.safetensors"])
        #expect(sample.status == 66)
        #expect(sample.error.split(separator: "\n").count == 1, "\(sample.error)")
        #expect(sample.error.contains("no such model file"))
        // A directory is an input that cannot be read (66), not bad data (65).
        let directory = try runQuill(["info", FileManager.default.temporaryDirectory.path])
        #expect(directory.status == 66, "\(directory.error)")
        #expect(directory.error.contains("not a regular file"))
        let temperature = try runQuill(["sample", "/nonexistent/model.safetensors", "--temperature", "0"])
        #expect(temperature.status == 64)
        #expect(temperature.error.contains("--temperature must be greater than 0"))
        let evalTemperature = try runQuill(["eval", "/nonexistent/model.safetensors", "--corpus", "x.txt", "--temperature", "0"])
        #expect(evalTemperature.status == 64)
        #expect(evalTemperature.error.contains("--temperature must be greater than 0"))
    }
}
