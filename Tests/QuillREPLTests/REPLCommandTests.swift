import QuillREPL
import Testing

@Suite struct REPLCommandTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let line: String
        let expected: REPLCommand
        var testDescription: String { line.isEmpty ? "(empty)" : line }
    }

    static let valid: [Case] = [
        Case(line: "", expected: .empty),
        Case(line: "   ", expected: .empty),
        Case(line: "the lord is my shepherd", expected: .text("the lord is my shepherd")),
        Case(line: "  padded prompt  ", expected: .text("padded prompt")),
        Case(line: "中文 prompt ✨", expected: .text("中文 prompt ✨")),
        Case(line: ":sample", expected: .sample(count: 1)),
        Case(line: ":sample 5", expected: .sample(count: 5)),
        Case(line: ":recon and god said", expected: .reconstruct("and god said")),
        Case(line: ":interp in the beginning | the end", expected: .interpolate(from: "in the beginning", to: "the end", steps: 8)),
        Case(line: ":interp a b | c d 4", expected: .interpolate(from: "a b", to: "c d", steps: 4)),
        // The CLI's names, and sentences quoted as in a shell.
        Case(line: ":reconstruct \"and god said\"", expected: .reconstruct("and god said")),
        Case(line: ":interpolate \"a b\" | 'c d' 4", expected: .interpolate(from: "a b", to: "c d", steps: 4)),
        Case(line: ":recon \"quoted\" words", expected: .reconstruct("\"quoted\" words")),
        Case(line: ":recon \"a\" and \"b\"", expected: .reconstruct("\"a\" and \"b\"")),
        Case(line: ":interp \"a | b\" | c", expected: .interpolate(from: "a | b", to: "c", steps: 8)),
        Case(line: ":set temperature 0.7", expected: .set(.temperature(0.7))),
        Case(line: ":set top-k 40", expected: .set(.topK(40))),
        Case(line: ":set top-p 0.9", expected: .set(.topP(0.9))),
        Case(line: ":set max-tokens 50", expected: .set(.maxTokens(50))),
        Case(line: ":set decode beam", expected: .set(.decode("beam"))),
        Case(line: ":seed 42", expected: .seed(42)),
        Case(line: ":load runs/model.safetensors", expected: .load("runs/model.safetensors")),
        Case(line: ":models", expected: .models),
        Case(line: ":use 2", expected: .use(2)),
        Case(line: ":info", expected: .info),
        Case(line: ":help", expected: .help),
        Case(line: ":quit", expected: .quit),
        Case(line: ":q", expected: .quit),
    ]

    @Test(arguments: valid)
    func parses(_ c: Case) throws {
        #expect(try REPLCommand(parsing: c.line) == c.expected)
    }

    static let invalid = [
        ":bogus", ":sample zero", ":sample 0", ":sample -3", ":recon", ":recon \"\"", ":interp only one side",
        ":interp a | ", ":interp a | b 1", ":set temperature 0", ":set temperature -1", ":set temperature hot",
        ":set top-p 1.5", ":set top-k -1", ":set decode wild", ":set colour blue", ":set", ":seed x", ":load", ":use 0",
    ]

    @Test(arguments: invalid)
    func rejectsWithAMessage(_ line: String) {
        #expect(throws: REPLError.self) { try REPLCommand(parsing: line) }
        do {
            _ = try REPLCommand(parsing: line)
        } catch {
            #expect(!"\(error)".isEmpty)
        }
    }

    @Test func sessionKeepsRunningAfterErrors() {
        var output = ""
        let session = REPLSession(seed: 1, write: { output += $0 })
        #expect(session.handle(":bogus") == .proceed)
        #expect(output.contains("unknown command"))
        #expect(session.handle("hello") == .proceed)
        #expect(output.contains("no model is loaded"))
        #expect(session.handle(":set temperature 0.5") == .proceed)
        #expect(session.options.temperature == 0.5)
        #expect(session.handle(":quit") == .quit)
    }

    /// An error from loading prints its message, not the Swift value of the error.
    @Test func loadErrorsPrintTheirMessage() {
        var output = ""
        let session = REPLSession(seed: 1, write: { output += $0 })
        #expect(session.handle(":load /nonexistent/model.safetensors") == .proceed)
        #expect(output.contains("error: /nonexistent/model.safetensors: no such model file."), "\(output)")
        #expect(!output.contains("missing("), "\(output)")
    }
}
