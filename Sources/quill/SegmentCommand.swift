import ArgumentParser
import Foundation
import QuillText

struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Splits each input line into grapheme clusters, words or sentences with ICU (UAX #29).",
        discussion: """
            Segments cover the line exactly: joined, they give the line back, spaces included. \
            Chinese and Japanese words come from ICU's dictionary (中文分词 → 中文|分词); emoji \
            sequences, flags and skin tones stay whole.
            """)

    @Option(help: "The unit to split into.")
    var unit: SegmentationUnit

    @Flag(help: "Print each line's segments as a JSON array of strings.")
    var json = false

    @Option(help: "What to print between segments without --json.")
    var separator = "|"

    @Flag(name: .customLong("replace-invalid-utf8"), help: "Read bytes that are not UTF-8 as U+FFFD instead of stopping.")
    var replaceInvalidUTF8 = false

    @Argument(help: "The input file, or - for standard input.")
    var file = "-"

    func run() throws {
        try runReportingErrors {
            let segmenter: Segmenter
            do { segmenter = try Segmenter(unit: unit) } catch let error as SegmentationError { throw TokenizerError.segmentation(error) }
            let reader = try TextLineReader(path: file, handling: replaceInvalidUTF8 ? .replace : .reject)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            var output = StandardOutput(flushesEachLine: reader.isStreaming)
            while let line = try reader.nextLine() {
                if json {
                    output.write(String(decoding: try encoder.encode(segmenter.segments(of: line).map(String.init)), as: UTF8.self))
                } else {
                    UTF8Bytes.withBytes(of: line) { bytes in
                        segmenter.forEachSegment(in: bytes) { range, _ in
                            if range.lowerBound > 0 { output.write(separator) }
                            output.write(UnsafeBufferPointer(rebasing: bytes[range]))
                        }
                    }
                }
                try output.endLine()
            }
            try output.flush()
        }
    }
}

extension SegmentationUnit: ExpressibleByArgument {}
