import Foundation
import Testing
import TestSupport

/// Damaged and mislabelled model files, made by editing a one-step char-rnn's file: each is
/// refused with one line naming what is wrong, never misread, sampled from or resumed.
@Suite(.serialized) struct DamagedModelFileTests {
    /// A model file whose weights hold a NaN is refused with the tensor named, not sampled from.
    @Test func aModelWithNaNWeightsIsRefused() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        var (model, bytes, headerLength, header) = try Self.oneStepModel(in: scratch)
        // Overwrite the first element of a weight (not optimizer state) with a NaN.
        let (name, entry) = try #require(header.first { $0.key != "__metadata__" && !$0.key.hasPrefix("optimizer.") })
        let offsets = try #require((entry as? [String: Any])?["data_offsets"] as? [Int])
        bytes.replaceSubrange((8 + headerLength + offsets[0])..<(8 + headerLength + offsets[0] + 4), with: [0x00, 0x00, 0xC0, 0x7F])
        try bytes.write(to: URL(fileURLWithPath: model))

        let run = try runQuill(["sample", model, "--seed", "1", "--max-tokens", "5"])
        #expect(run.status == 65, "\(run.error)")
        #expect(run.error.contains("tensor \(name) holds NaN or infinite values"), "\(run.error)")
    }

    /// A char-rnn trained for one step in `scratch`: its model file's path and bytes, and the
    /// safetensors header's length and JSON.
    static func oneStepModel(in scratch: ScratchDirectory) throws
        -> (path: String, bytes: Data, headerLength: Int, header: [String: Any]) {
        let corpus = try scratch.write(CharRNNCommandTests.corpus, to: "corpus.txt")
        let model = scratch.file("model.safetensors")
        let train = try CharRNNCommandTests.train(corpus, output: model, ["--steps", "1"])
        #expect(train.status == 0, "\(train.error)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        let headerLength = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try #require(try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        return (model, bytes, headerLength, header)
    }

    /// Replaces `original` by `replacement` in the header of the model file at `path`; the two
    /// have the same length, so the header stays valid JSON of the same size.
    static func editHeader(of path: String, replacing original: String, with replacement: String) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let range = try #require(bytes.range(of: Data(original.utf8)))
        bytes.replaceSubrange(range, with: Data(replacement.utf8))
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    /// What `quill sample` says of a one-step model whose header has `original` replaced by
    /// `replacement` (``editHeader(of:replacing:with:)``).
    static func sampleEditedModel(replacing original: String, with replacement: String) throws -> QuillRun {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(CharRNNCommandTests.corpus, to: "corpus.txt")
        let model = scratch.file("model.safetensors")
        #expect(try CharRNNCommandTests.train(corpus, output: model, ["--steps", "1"]).status == 0)
        try editHeader(of: model, replacing: original, with: replacement)
        return try runQuill(["sample", model, "--seed", "1", "--max-tokens", "5"])
    }

    /// A configuration whose sizes no weight in the file matches is refused before the model is
    /// built from it (a hidden size of 10¹² would exhaust memory first).
    @Test(arguments: [("99", "hidden_size = 99, but no weight in the file is that large"), ("-1", "hidden_size = -1, which cannot be negative")])
    func aConfigurationTooLargeForItsWeightsIsRefused(_ hiddenSize: String, _ message: String) throws {
        // The configuration is a JSON string inside the header's metadata, so its quotes are escaped.
        let run = try Self.sampleEditedModel(replacing: "\\\"hidden_size\\\":16", with: "\\\"hidden_size\\\":\(hiddenSize)")
        #expect(run.status == 65, "\(run.error)")
        #expect(run.error.contains(message), "\(run.error)")
    }

    /// An empty tensor does not vouch for a size: a weight of shape [99999999, 0] costs the file
    /// no bytes, and a hidden size that large made `quill sample` take 3 GB before it failed.
    @Test func anEmptyTensorDoesNotVouchForAHugeSize() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        var (model, bytes, headerLength, header) = try Self.oneStepModel(in: scratch)
        var metadata = try #require(header["__metadata__"] as? [String: String])
        metadata["quill.configuration"] = try #require(metadata["quill.configuration"]).replacingOccurrences(
            of: "\"hidden_size\":16", with: "\"hidden_size\":99999999")
        header["__metadata__"] = metadata
        let end = bytes.count - 8 - headerLength
        header["zz.empty"] = ["dtype": "F32", "shape": [99_999_999, 0], "data_offsets": [end, end]]
        let newHeader = try JSONSerialization.data(withJSONObject: header)
        var file = Data(withUnsafeBytes(of: UInt64(newHeader.count).littleEndian) { Array($0) })
        file.append(newHeader)
        file.append(bytes.suffix(from: 8 + headerLength))
        try file.write(to: URL(fileURLWithPath: model))

        let run = try runQuill(["sample", model, "--seed", "1", "--max-tokens", "5"])
        #expect(run.status == 65, "\(run.error)")
        #expect(run.error.contains("hidden_size = 99999999, but no weight in the file is that large"), "\(run.error)")
    }

    /// A model file from a format this version does not know is refused, not misread.
    @Test func aNewerFormatIsRefused() throws {
        let run = try Self.sampleEditedModel(replacing: "\"quill.format\":\"1\"", with: "\"quill.format\":\"9\"")
        #expect(run.status == 65, "\(run.error)")
        #expect(run.error.contains("is in Quill model format \"9\"; this version of Quill reads format \"1\""), "\(run.error)")
    }

    /// A file labelled with another kind than its configuration describes says which field is
    /// missing, not Swift's description of the decoding error.
    @Test func aMislabelledKindNamesTheMissingField() throws {
        let run = try Self.sampleEditedModel(replacing: "\"quill.kind\":\"char-rnn\"", with: "\"quill.kind\":\"lm\"      ")
        #expect(run.status == 65, "\(run.error)")
        #expect(run.error.contains("has a configuration this version cannot read (missing \""), "\(run.error)")
        #expect(!run.error.contains("CodingKeys"), "\(run.error)")
    }

    @Test func resumingAnotherKindOfModelIsAUsageError() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(CharRNNCommandTests.corpus, to: "corpus.txt")
        // A checkpoint of another kind, made by rewriting the kind in a char-rnn checkpoint's header.
        let model = scratch.file("model.safetensors")
        #expect(try CharRNNCommandTests.train(corpus, output: model, ["--steps", "1"]).status == 0)
        try Self.editHeader(of: scratch.file("model.last.safetensors"), replacing: "\"quill.kind\":\"char-rnn\"",
                            with: "\"quill.kind\":\"gpt\"     ")
        let run = try CharRNNCommandTests.train(corpus, output: model, ["--steps", "2", "--resume"])
        #expect(run.status == 64, "\(run.error)")
        #expect(run.error.contains("holds a gpt model, not a char-rnn model"), "\(run.error)")
    }
}
