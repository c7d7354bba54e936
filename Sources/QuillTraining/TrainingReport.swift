/// A self-contained HTML training report: one SVG plot per quantity from the metrics log, a
/// table of final figures, and samples.
public struct TrainingReport {
    public var title: String
    public var records: [[String: Double]]
    public var figures: [(String, String)]
    public var samples: [String]

    /// Creates a report from metrics records (as ``MetricsLog/read(_:)`` returns them).
    public init(title: String, records: [[String: Double]], figures: [(String, String)], samples: [String]) {
        self.title = title
        self.records = records
        self.figures = figures
        self.samples = samples
    }

    /// Points (x, y) of `key` against `axis` over the records that have both.
    func series(_ key: String, against axis: String) -> [(x: Double, y: Double)] {
        records.compactMap { record in
            guard let x = record[axis], let y = record[key], x.isFinite, y.isFinite else { return nil }
            return (x: x, y: y)
        }
    }

    /// The plots that have data, in reading order.
    func plots() -> [SVGPlot] {
        var plots: [SVGPlot] = []
        let lossSeries = { (axis: String) in
            [SVGPlot.Series(label: "train", points: series("train_loss", against: axis)),
             SVGPlot.Series(label: "validation", points: series("val_loss", against: axis))]
        }
        plots.append(SVGPlot(title: "Loss against step", xLabel: "step", yLabel: "loss", series: lossSeries("step")))
        plots.append(SVGPlot(title: "Loss against wall time", xLabel: "seconds", yLabel: "loss",
                             series: lossSeries("elapsed_s")))
        plots.append(SVGPlot(title: "Throughput", xLabel: "step", yLabel: "tokens/s",
                             series: [SVGPlot.Series(label: "tokens/s", points: series("tokens_per_s", against: "step"))]))
        let known: Set<String> = ["step", "elapsed_s", "train_loss", "val_loss", "tokens_per_s"]
        let extraKeys = Set(records.flatMap(\.keys)).subtracting(known).sorted()
        // VAE terms first, in a fixed order; then anything else logged.
        let preferred = ["kl", "val_kl", "kl_weight", "active_units", "reconstruction", "val_reconstruction", "mutual_information"]
        let ordered = preferred.filter(extraKeys.contains) + extraKeys.filter { !preferred.contains($0) }
        for key in ordered {
            let points = series(key, against: "step")
            if points.count >= 1 {
                plots.append(SVGPlot(title: key.replacingUnderscores(), xLabel: "step", yLabel: key,
                                     series: [SVGPlot.Series(label: key, points: points)]))
            }
        }
        return plots.filter { !$0.series.isEmpty }
    }

    /// The report as one HTML document.
    public func html() -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escapeXML(title))</title>
            <style>
            body { font-family: sans-serif; margin: 24px auto; max-width: 1340px; color: #222; }
            h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
            .plots { display: flex; flex-wrap: wrap; gap: 12px; }
            .plots svg { border: 1px solid #ddd; background: white; }
            table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
            pre { background: #f4f4f4; padding: 10px; white-space: pre-wrap; }
            </style></head><body>
            <h1>\(escapeXML(title))</h1>

            """
        page += "<h2>Final figures</h2><table>"
        for (name, value) in figures {
            page += "<tr><th>\(escapeXML(name))</th><td>\(escapeXML(value))</td></tr>"
        }
        page += "</table>\n<h2>Curves</h2>\n"
        if records.isEmpty {
            page += "<p>None: the model's metrics log (NAME.metrics.jsonl) was not beside it.</p>\n"
        } else {
            page += "<div class=\"plots\">\n"
            for plot in plots() { page += plot.render() + "\n" }
            page += "</div>\n"
        }
        if !samples.isEmpty {
            page += "<h2>Samples</h2>\n"
            for sample in samples { page += "<pre>\(escapeXML(sample))</pre>\n" }
        }
        return page + "</body></html>\n"
    }
}

extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? " " : $0 }) }
}
