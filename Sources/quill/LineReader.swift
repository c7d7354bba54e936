import CEditLine
import Foundation
import QuillREPL

/// Reads REPL input: through libedit (line editing, history, completion) on a terminal, plainly
/// from a pipe, printing no prompts, so sessions can be scripted.
final class LineReader {
    let isInteractive: Bool
    private let historyPath: String

    init() {
        isInteractive = isatty(STDIN_FILENO) != 0
        historyPath = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.quill_history"
        guard isInteractive else { return }
        // Without the locale, libedit drops every non-ASCII character typed.
        setlocale(LC_ALL, "")
        stifle_history(1000)
        _ = read_history(historyPath)
        rl_attempted_completion_function = { text, start, _ in
            // Complete command names at the start of the line, setting names after ":set ".
            guard let text else { return nil }
            let prefix = String(cString: text)
            let line = String(cString: rl_line_buffer)
            let candidates = start == 0 ? REPLCommand.names
                : line.hasPrefix(":set ") ? REPLSetting.names : []
            completionCandidates = candidates.filter { $0.hasPrefix(prefix) }
            rl_attempted_completion_over = 1
            return rl_completion_matches(text) { _, state in
                if state == 0 { completionIndex = 0 }
                guard completionIndex < completionCandidates.count else { return nil }
                defer { completionIndex += 1 }
                return strdup(completionCandidates[completionIndex])
            }
        }
    }

    /// The next line, or nil at end of input (Ctrl-D).
    func readLine(prompt: String) -> String? {
        guard isInteractive else { return Swift.readLine(strippingNewline: true) }
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        let line = String(cString: raw)
        if !line.trimmingCharacters(in: .whitespaces).isEmpty {
            _ = add_history(line)
            _ = write_history(historyPath)
        }
        return line
    }
}

nonisolated(unsafe) private var completionCandidates: [String] = []
nonisolated(unsafe) private var completionIndex = 0
