import Foundation
import Testing
import TestSupport

/// Runs every `quill` command of the README's journey, so none of them can rot, and checks that
/// each printed what it says it does.
///
/// Commands run through `bash -c` with `pipefail` in the package root, with the built `quill`
/// first on PATH. To keep the suite fast, the corpus is replaced by its first lines, outputs go
/// to a scratch directory, and training commands get `--steps 2` and a small batch appended: they
/// still parse every flag the README shows and write real models, which the later commands then use.
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

    /// What a README command must leave behind, read off the command itself.
    enum Check: Equatable, CustomStringConvertible {
        /// Exactly this many lines on stdout.
        case lines(Int)
        /// Every stdout line is a JSON value.
        case jsonLines
        /// Stdout starts with the prompt and holds it once per sample.
        case samples(prompt: String, count: Int)
        /// The file exists and is not empty.
        case file(String)
        /// The file holds exactly this many lines.
        case fileLines(String, Int)
        /// The file holds one JSON value, or one per line.
        case jsonFile(String), jsonLinesFile(String)
        /// Something on stdout.
        case output

        var description: String {
            switch self {
            case .lines(let count): "\(count) lines on stdout"
            case .jsonLines: "JSON on every stdout line"
            case .samples(let prompt, let count): "\(count) samples starting with \"\(prompt)\""
            case .file(let path): "a file at \(path)"
            case .fileLines(let path, let count): "\(count) lines in \(path)"
            case .jsonFile(let path): "JSON in \(path)"
            case .jsonLinesFile(let path): "a JSON object per line in \(path)"
            case .output: "output on stdout"
            }
        }
    }

    /// The checks a command's words promise: `| head -N`, `--output`, `--json`, `--count`,
    /// `--prompt`, `interpolate --steps N` (N + 1 rows), `reconstruct` (one line), and a training
    /// run's best, last and metrics files; any other command must print something.
    static func checks(for command: String) -> [Check] {
        let pipeline = command.components(separatedBy: " | ")
        let words = shellWords(pipeline[0])
        func value(_ option: String) -> String? { words.firstIndex(of: option).map { words[$0 + 1] } }
        var checks: [Check] = []
        if let head = pipeline.dropFirst().first(where: { $0.hasPrefix("head -") }), let count = Int(head.dropFirst(6)) {
            checks.append(.lines(count))
        }
        if words.contains("--json") { checks.append(.jsonLines) }
        if let output = value("--output") {
            checks.append(output.hasSuffix(".json") ? .jsonFile(output) : .file(output))
            if words[1] == "train", output.hasSuffix(".safetensors") {
                let stem = String(output.dropLast(".safetensors".count))
                checks += [.file(stem + ".last.safetensors"), .jsonLinesFile(stem + ".metrics.jsonl")]
            }
        }
        let count = value("--count").flatMap { Int($0) }
        if let prompt = value("--prompt") {
            checks.append(.samples(prompt: prompt, count: count ?? 1))
        } else if let count {
            // Counted results go where --output says, else to stdout.
            checks.append(value("--output").map { .fileLines($0, count) } ?? .lines(count))
        }
        if words[1] == "interpolate", let steps = value("--steps").flatMap({ Int($0) }) { checks.append(.lines(steps + 1)) }
        if words[1] == "reconstruct" { checks.append(.lines(1)) }
        return checks.isEmpty ? [.output] : checks
    }

    /// `line` split into words as the shell splits it, double-quoted strings kept whole.
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = [], word = "", quoted = false
        for character in line {
            if character == "\"" { quoted.toggle() } else if character == " " && !quoted {
                if !word.isEmpty { words.append(word) }
                word = ""
            } else {
                word.append(character)
            }
        }
        return word.isEmpty ? words : words + [word]
    }

    /// Whether `check` holds after a run that printed `output`; nil if it does, else what failed.
    static func failure(of check: Check, output: String) -> String? {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        func parses(_ text: some StringProtocol) -> Bool {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil
        }
        func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        switch check {
        case .lines(let count):
            return lines.count == count && output.hasSuffix("\n") ? nil : "printed \(lines.count) lines"
        case .jsonLines:
            return !lines.isEmpty && lines.allSatisfy(parses) ? nil : "printed lines that are not JSON"
        case .samples(let prompt, let count):
            let found = output.components(separatedBy: prompt).count - 1
            return output.hasPrefix(prompt) && found == count ? nil : "printed the prompt \(found) times"
        case .file(let path):
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0
            return size > 0 ? nil : "no file, or an empty one"
        case .fileLines(let path, let count):
            let found = contents(path)?.split(separator: "\n", omittingEmptySubsequences: false).dropLast().count
            return found == count ? nil : "left \(found.map(String.init) ?? "no") lines in \(path)"
        case .jsonFile(let path):
            return contents(path).map(parses) == true ? nil : "no file or not JSON"
        case .jsonLinesFile(let path):
            let records = contents(path)?.split(separator: "\n") ?? []
            return !records.isEmpty && records.allSatisfy(parses) ? nil : "no records or not JSON"
        case .output:
            return output.isEmpty ? "printed nothing" : nil
        }
    }

    @Test func everyReadmeCommandRunsAndPrintsWhatItSays() throws {
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
            let resolved = command
                .replacingOccurrences(of: "corpora/kjv.txt", with: scratch.file("kjv.txt"))
                .replacingOccurrences(of: "runs/my/", with: scratch.path + "/")
            var line = resolved
            if line.hasPrefix("quill train ") { line += " --steps 2 --threads 1 --batch-size 4" }
            if line.hasPrefix("quill train gpt ") { line += " --eval-batches 2" }
            if line.hasPrefix("quill repl ") { line = "printf ':sample 1\\n:quit\\n' | " + line }
            let result = try run(URL(fileURLWithPath: "/bin/bash"), ["-c", "set -o pipefail; " + line],
                                 environment: environment, currentDirectory: Self.packageRoot.path)
            // `head` closes the pipe once it has its lines; quill may die of the SIGPIPE that follows.
            let brokenPipe: Int32 = 128 + SIGPIPE
            let ok = result.status == 0 || (result.status == brokenPipe && command.contains(" | head -"))
            #expect(ok, "README command failed (exit \(result.status)): \(command)\n\(result.error.suffix(2000))")
            for check in Self.checks(for: resolved) {
                if let failure = Self.failure(of: check, output: result.output) {
                    Issue.record("README command \(command) should leave \(check) but \(failure):\n\(result.output.prefix(2000))")
                }
            }
        }
    }

    @Test func checksAreReadOffTheCommand() {
        #expect(Self.checks(for: "quill tokenize --vocab v.json c.txt | head -3") == [.lines(3)])
        #expect(Self.checks(for: "quill segment --unit word --json c.txt | head -2") == [.lines(2), .jsonLines])
        #expect(Self.checks(for: "quill train lm --corpus c.txt --output r/lm.safetensors --time 5m")
                == [.file("r/lm.safetensors"), .file("r/lm.last.safetensors"), .jsonLinesFile("r/lm.metrics.jsonl")])
        #expect(Self.checks(for: "quill sample m.safetensors --prompt \"In the beginning\" --count 2")
                == [.samples(prompt: "In the beginning", count: 2)])
        #expect(Self.checks(for: "quill interpolate m.safetensors \"a b\" \"c\" --steps 8") == [.lines(9)])
        #expect(Self.checks(for: "Benchmarks/make-pairs.py c.txt --count 3 --output r/pairs.tsv")
                == [.file("r/pairs.tsv"), .fileLines("r/pairs.tsv", 3)])
    }
}
