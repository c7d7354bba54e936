import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import QuillModels
import QuillREPL
import QuillTraining

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Opens an interactive shell for generation, reconstruction and interpolation.",
        discussion: """
            Type text to continue it with a language model or reconstruct it with a sentence VAE. \
            Commands start with a colon; :help lists them. On a terminal, lines are edited with \
            libedit, history persists in ~/.quill_history and Tab completes commands. From a pipe, \
            lines are read plainly and no prompts are printed, so sessions can be scripted.
            """)

    @Argument(help: "One or more model files; the last one loaded is current.")
    var models: [String]

    @OptionGroup var sampling: SamplingOptionGroup

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("Give at least one model file: quill repl MODEL...") }
    }

    func run() throws {
        let reader = LineReader()
        // A session cannot go on once its output fails: it ends with the error.
        let session = REPLSession(options: sampling.options, decodingIsChosen: sampling.decode != nil,
                                  seed: sampling.effectiveSeed,
                                  write: { text in
                                      do { try StandardOutput.write(text) } catch { Glibc.exit(report(error).rawValue) }
                                  },
                                  shouldStop: { Interrupt.isRequested })
        try runReportingErrors {
            for path in models { try session.load(path) }
        }
        Interrupt.install()
        if reader.isInteractive {
            let names = session.models.map { "\($0.kind.rawValue) \(($0.path as NSString).lastPathComponent)" }
            FileHandle.standardError.write(Data("quill repl: \(names.joined(separator: ", ")). Type :help for commands, Ctrl-D to leave.\n".utf8))
        }
        // Ctrl-C at the prompt makes libedit return no line, as Ctrl-D does; the interrupt flag
        // tells them apart. The first Ctrl-C only warns; a second one in a row leaves.
        var interruptedAtPrompt = false
        while true {
            Interrupt.reset()
            let prompt = "\(session.models[session.current].kind.rawValue)> "
            guard let line = reader.readLine(prompt: prompt) else {
                guard Interrupt.isRequested else { break }
                if interruptedAtPrompt { throw Exit.interrupted }
                interruptedAtPrompt = true
                FileHandle.standardError.write(Data("\n(Ctrl-C again or Ctrl-D to leave)\n".utf8))
                continue
            }
            interruptedAtPrompt = false
            if session.handle(line) == .quit { break }
        }
        if reader.isInteractive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
