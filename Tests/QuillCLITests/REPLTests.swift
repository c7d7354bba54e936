import Foundation
import Testing
import TestSupport

/// The REPL driven as a user would: through a pipe (scripted) and under a pseudo-terminal.
@Suite(.serialized) struct REPLTests {
    @Test func scriptedSessionThroughAPipe() throws {
        let models = try TinyModels.trained.get()
        let run = try runQuill(["repl", models.vae, models.charRNN, "--seed", "3"], input: """
            :models
            :use 1
            :sample 2
            :recon and god said , let there be light .
            :interp jesus wept . | the lord is my shepherd ; i shall not want . 4
            :set temperature 0.5
            :info
            :bogus
            :use 2
            :set decode beam
            :set max-tokens 30
            and the

            """)
        #expect(run.status == 0, "\(run.error)")
        // No prompts without a terminal: every line of output is an answer.
        #expect(!run.output.contains("vae> ") && !run.output.contains("char-rnn> "), "\(run.output)")
        #expect(run.output.contains("vae"))
        #expect(run.output.contains("temperature 0.5"))
        #expect(run.output.contains("error: unknown command :bogus"))
        // Refused when set, not at the next line: a char-rnn cannot beam-search.
        #expect(run.output.contains("error: the current model (char-rnn) has no beam search"), "\(run.output)")
        let interpolation = run.output.split(separator: "\n").filter { $0.hasPrefix("0.") || $0.hasPrefix("1.0") }
        // 4 steps: 5 points, both endpoints included.
        #expect(interpolation.count == 5, "\(run.output)")
        #expect(interpolation.first?.hasPrefix("0.00") == true && interpolation.last?.hasPrefix("1.00") == true)
        #expect(run.output.contains("and the"))
    }

    /// The REPL reconstructs as `quill reconstruct` does: by beam search until a decoding is chosen.
    @Test func reconstructionsMatchTheReconstructCommand() throws {
        let models = try TinyModels.trained.get()
        let sentence = "and god said , let there be light ."
        let beam = try runQuill(["reconstruct", models.vae, sentence])
        let greedy = try runQuill(["reconstruct", models.vae, sentence, "--decode", "greedy"])
        let session = try runQuill(["repl", models.vae, "--seed", "3"],
                                   input: ":recon \(sentence)\n:set decode greedy\n:recon \(sentence)\n")
        #expect(beam.status == 0 && greedy.status == 0 && session.status == 0, "\(session.error)")
        let trimmed = { (text: String) in text.trimmingCharacters(in: .whitespacesAndNewlines) }
        let expected = [beam.output, "ok", greedy.output].map(trimmed)
        #expect(session.output.split(separator: "\n").map { trimmed(String($0)) } == expected, "\(session.output)")
        #expect(expected[0] != expected[2], "the tiny model decodes differently by beam and greedily")
    }

    /// Words outside a model's vocabulary are named, not silently read as `<unk>`: on stderr
    /// from the commands, as a `warning:` line in the REPL.
    @Test func wordsOutsideTheVocabularyAreNamed() throws {
        let models = try TinyModels.trained.get()
        let reconstruct = try runQuill(["reconstruct", models.vae, "the xylophone wept", "jesus wept .", "--max-tokens", "8"])
        #expect(reconstruct.status == 0 && reconstruct.output.split(separator: "\n").count == 2, "\(reconstruct.error)")
        #expect(reconstruct.error == "quill: warning: \"xylophone\" is outside the vocabulary of \(models.vae); the model reads it as <unk>.\n")
        let interpolate = try runQuill(["interpolate", models.vae, "zither and xylophone", "jesus wept .",
                                        "--steps", "1", "--max-tokens", "8"])
        #expect(interpolate.status == 0, "\(interpolate.error)")
        #expect(interpolate.error.contains("\"zither\", \"xylophone\" are outside the vocabulary"), "\(interpolate.error)")
        let sample = try runQuill(["sample", models.charRNN, "--prompt", "and the ☃", "--max-tokens", "5"])
        #expect(sample.status == 0 && sample.error.contains("warning: \"☃\" is outside the vocabulary"), "\(sample.error)")
        let session = try runQuill(["repl", models.vae, "--seed", "3"], input: ":recon the xylophone wept\njesus wept .\n")
        #expect(session.status == 0, "\(session.error)")
        let lines = session.output.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("warning: \"xylophone\" is outside"), "\(session.output)")
    }

    @Test func textStreamsBeforeGenerationEnds() throws {
        let models = try TinyModels.trained.get()
        let session = try PseudoTerminalSession(arguments: ["repl", models.charRNN, "--seed", "1"], home: models.directory.path)
        session.send(":set max-tokens 200000\r")
        session.send("the\r")
        // Text shows up while the (long) generation is still running.
        #expect(session.waitForOutput(longerThan: 400, timeout: 60), "\(session.output)")
        #expect(session.isRunning)
        let beforeInterrupt = session.output.utf8.count
        session.send("\u{03}")
        // Ctrl-C stopped the generation, not the REPL: the prompt comes back and commands work.
        // (libedit discards what is typed before its prompt, so wait for the prompt first.)
        #expect(session.waitFor("char-rnn> ", after: beforeInterrupt, timeout: 60), "\(session.output)")
        session.send(":set temperature 0.25\r")
        let beforeInfo = session.output.utf8.count
        session.send(":info\r")
        #expect(session.waitFor("temperature 0.25, top-k", after: beforeInfo, timeout: 60), "\(session.output)")
        session.send(":quit\r")
        #expect(session.waitForExit(timeout: 30) == 0, "\(session.output)")
        let history = try readHistory(models.directory.file(".quill_history"))
        #expect(history.contains(":set max-tokens 200000"))
        #expect(history.contains(":info"))
    }

    @Test func terminalSessionKeepsNonASCIIInputAndExitsOnCtrlD() throws {
        let models = try TinyModels.trained.get()
        let session = try PseudoTerminalSession(arguments: ["repl", models.vae, "--seed", "1"], home: models.directory.path)
        #expect(session.waitFor("vae> ", after: 0, timeout: 60), "\(session.output)")
        session.send(":recon jésus wept 中文\r")
        let beforeModels = session.output.utf8.count
        session.send(":models\r")
        #expect(session.waitFor("vae.safetensors", after: beforeModels, timeout: 60), "\(session.output)")
        session.send("\u{04}")
        #expect(session.waitForExit(timeout: 30) == 0, "\(session.output)")
        let history = try readHistory(models.directory.file(".quill_history"))
        #expect(history.contains(":recon jésus wept 中文"))
    }

    @Test func secondControlCAtThePromptExits() throws {
        let models = try TinyModels.trained.get()
        let session = try PseudoTerminalSession(arguments: ["repl", models.vae, "--seed", "1"], home: models.directory.path)
        #expect(session.waitFor("vae> ", after: 0, timeout: 60), "\(session.output)")
        let beforeFirst = session.output.utf8.count
        session.send("\u{03}")
        // The first Ctrl-C only warns and prompts again; the REPL still answers.
        #expect(session.waitFor("Ctrl-C again", after: beforeFirst, timeout: 30), "\(session.output)")
        #expect(session.waitFor("vae> ", after: beforeFirst, timeout: 30), "\(session.output)")
        #expect(session.isRunning)
        session.send("\u{03}")
        #expect(session.waitForExit(timeout: 30) == 130, "\(session.output)")
    }
}

/// The lines of a libedit history file, whose entries are vis(3)-encoded (`\040` for a space).
func readHistory(_ path: String) throws -> [String] {
    let raw = try Data(contentsOf: URL(fileURLWithPath: path))
    var lines: [String] = []
    for line in raw.split(separator: UInt8(ascii: "\n")) {
        var bytes: [UInt8] = []
        var i = line.startIndex
        while i < line.endIndex {
            if line[i] == UInt8(ascii: "\\"), i + 3 < line.endIndex,
               let value = UInt8(String(decoding: line[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(line[i])
                i += 1
            }
        }
        lines.append(String(decoding: bytes, as: UTF8.self))
    }
    return lines
}
