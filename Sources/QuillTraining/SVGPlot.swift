/// A line chart drawn as inline SVG, for training reports: no scripts, no external files.
public struct SVGPlot {
    /// One line: a label and its points.
    public struct Series {
        public var label: String
        public var points: [(x: Double, y: Double)]
        /// Creates a series.
        public init(label: String, points: [(x: Double, y: Double)]) {
            self.label = label
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 640.0
    public var height = 300.0

    private static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    /// Creates a plot.
    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series.filter { !$0.points.isEmpty }
    }

    /// The chart as an `<svg>` element.
    public func render() -> String {
        let left = 64.0, right = 16.0, top = 30.0, bottom = 44.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">"
        svg += "<text x=\"\(Int(width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(escapeXML(title))</text>"
        guard let minX0 = all.map(\.x).min(), let maxX0 = all.map(\.x).max(),
              let minY0 = all.map(\.y).min(), let maxY0 = all.map(\.y).max() else {
            return svg + "<text x=\"\(Int(width / 2))\" y=\"\(Int(height / 2))\" text-anchor=\"middle\">no data</text></svg>"
        }
        let (minX, maxX) = minX0 == maxX0 ? (minX0 - 1, maxX0 + 1) : (minX0, maxX0)
        let pad = (maxY0 - minY0) * 0.05
        let (minY, maxY) = minY0 == maxY0 ? (minY0 - 1, maxY0 + 1) : (minY0 - pad, maxY0 + pad)
        func px(_ x: Double) -> Double { left + (x - minX) / (maxX - minX) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - minY) / (maxY - minY)) * plotHeight }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"#fafafa\" stroke=\"#999\"/>"
        for tick in niceTicks(minY, maxY) {
            let y = py(tick)
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#e4e4e4\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(tickLabel(tick))</text>"
        }
        for tick in niceTicks(minX, maxX) {
            let x = px(tick)
            svg += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(top)\" y2=\"\(top + plotHeight)\" stroke=\"#e4e4e4\"/>"
            svg += "<text x=\"\(x)\" y=\"\(top + plotHeight + 15)\" text-anchor=\"middle\">\(tickLabel(tick))</text>"
        }
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">\(escapeXML(xLabel))</text>"
        svg += "<text transform=\"translate(14 \(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">\(escapeXML(yLabel))</text>"
        for (index, line) in series.enumerated() {
            let color = Self.colors[index % Self.colors.count]
            let points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
                .map { "\(format(px($0.x), 1)),\(format(py($0.y), 1))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" points=\"\(points)\"/>"
            if line.points.count == 1, let p = line.points.first {
                svg += "<circle cx=\"\(px(p.x))\" cy=\"\(py(p.y))\" r=\"3\" fill=\"\(color)\"/>"
            }
            let legendY = top + 14 + Double(index) * 14
            svg += "<rect x=\"\(left + plotWidth - 130)\" y=\"\(legendY - 9)\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(left + plotWidth - 116)\" y=\"\(legendY)\">\(escapeXML(line.label))</text>"
        }
        return svg + "</svg>"
    }
}

/// About five round tick values covering [low, high].
func niceTicks(_ low: Double, _ high: Double) -> [Double] {
    let span = high - low
    guard span > 0, span.isFinite else { return [low] }
    let raw = span / 5
    var magnitude = 1.0
    while magnitude * 10 <= raw { magnitude *= 10 }
    while magnitude > raw { magnitude /= 10 }
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? magnitude * 10
    var ticks: [Double] = []
    var t = (low / step).rounded(.up) * step
    while t <= high + step * 1e-9 { ticks.append(t); t += step }
    return ticks
}

func tickLabel(_ value: Double) -> String {
    if abs(value) >= 10_000 { return formatRate(value) }
    if value == value.rounded() { return String(Int(value)) }
    return format(value, abs(value) < 1 ? 3 : 2)
}

/// Escapes `&`, `<`, `>` and quotes for XML and HTML text.
public func escapeXML(_ text: String) -> String {
    var result = ""
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        default: result.append(character)
        }
    }
    return result
}
