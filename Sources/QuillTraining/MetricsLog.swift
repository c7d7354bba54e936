import Foundation

/// Appends one JSON object per line to `MODEL.metrics.jsonl` beside a model.
///
/// Each record carries `step`, `elapsed_s`, `train_loss`, `tokens_per_s`, and the
/// evaluation figures (`val_loss`, or a VAE's terms) when evaluated.
public final class MetricsLog {
    /// Where the log is written.
    public let url: URL
    private let handle: FileHandle

    /// The metrics file that belongs beside `modelPath`: `run.safetensors` → `run.metrics.jsonl`.
    public static func url(forModelAt modelPath: String) -> URL {
        var path = modelPath
        if path.hasSuffix(".safetensors") { path.removeLast(".safetensors".count) }
        return URL(fileURLWithPath: path + ".metrics.jsonl")
    }

    /// Opens the log for appending, or truncates it when `fresh` (a new run, not a resume).
    public init(url: URL, fresh: Bool) throws {
        self.url = url
        let manager = FileManager.default
        if fresh || !manager.fileExists(atPath: url.path) {
            guard manager.createFile(atPath: url.path, contents: nil) else {
                throw TrainingError.cannotWrite(url.path)
            }
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Writes one record. Keys are sorted so lines diff cleanly.
    public func append(_ record: [String: Double]) throws {
        var parts: [String] = []
        for key in record.keys.sorted() {
            let value = record[key]!
            let text: String
            if !value.isFinite {
                text = "null"
            } else if key == "step" || value == value.rounded() && abs(value) < 1e15 && key != "train_loss" {
                text = String(Int(value))
            } else {
                text = "\(value)"
            }
            parts.append("\"\(key)\":\(text)")
        }
        let line = "{" + parts.joined(separator: ",") + "}\n"
        try handle.write(contentsOf: Data(line.utf8))
    }

    /// Reads every record of a metrics log.
    public static func read(_ url: URL) throws -> [[String: Double]] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw TrainingError.missingFile(url.path)
        }
        var records: [[String: Double]] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            var record: [String: Double] = [:]
            for (key, value) in object {
                if let number = value as? NSNumber { record[key] = number.doubleValue }
            }
            records.append(record)
        }
        return records
    }
}
