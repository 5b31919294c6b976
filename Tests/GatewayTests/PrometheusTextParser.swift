import Foundation

/// A strict parser of the Prometheus text exposition format (0.0.4), for tests:
/// every line must be a `# HELP`, a `# TYPE`, another comment, or a sample, and
/// every sample must belong to a family whose TYPE came first.
struct PrometheusExposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct ParseError: Error, CustomStringConvertible {
        let line: Int
        let message: String
        var description: String { "line \(line): \(message)" }
    }

    var types: [String: String] = [:]
    /// Each family's `# HELP` text.
    var help: [String: String] = [:]
    var samples: [Sample] = []

    init(_ text: String) throws {
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
                if parts.count >= 2, parts[1] == "TYPE" {
                    guard parts.count == 4, Self.isMetricName(parts[2]),
                          ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        throw ParseError(line: i + 1, message: "bad TYPE line: \(line)")
                    }
                    guard types[parts[2]] == nil else { throw ParseError(line: i + 1, message: "TYPE twice for \(parts[2])") }
                    types[parts[2]] = parts[3]
                } else if parts.count >= 3, parts[1] == "HELP" {
                    guard help[parts[2]] == nil else { throw ParseError(line: i + 1, message: "HELP twice for \(parts[2])") }
                    help[parts[2]] = parts.count == 4 ? parts[3] : ""
                }
                continue
            }
            let sample = try Self.sample(line, number: i + 1)
            guard family(of: sample.name) != nil else {
                throw ParseError(line: i + 1, message: "sample \(sample.name) before its TYPE")
            }
            samples.append(sample)
        }
    }

    /// The family a sample belongs to (histograms own `_bucket`, `_sum`, `_count`).
    func family(of name: String) -> String? {
        if types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let t = types[base], t == "histogram" || t == "summary" { return base }
        }
        return nil
    }

    static func isMetricName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.properties.isAlphabetic || first == "_" || first == ":" else {
            return false
        }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == ":") }
    }

    static func sample(_ line: String, number: Int) throws -> Sample {
        var rest = Substring(line)
        let nameEnd = rest.firstIndex(where: { $0 == "{" || $0 == " " }) ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard isMetricName(name) else { throw ParseError(line: number, message: "bad metric name \(name)") }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let eq = rest.firstIndex(of: "=") else { throw ParseError(line: number, message: "label without =") }
                let label = String(rest[..<eq])
                guard isMetricName(label), !label.contains(":") else { throw ParseError(line: number, message: "bad label \(label)") }
                rest = rest[rest.index(after: eq)...]
                guard rest.first == "\"" else { throw ParseError(line: number, message: "label value not quoted") }
                rest = rest.dropFirst()
                var value = ""
                while let c = rest.first, c != "\"" {
                    if c == "\\" {
                        rest = rest.dropFirst()
                        guard let e = rest.first, ["\\", "\"", "n"].contains(e) else {
                            throw ParseError(line: number, message: "bad escape")
                        }
                        value.append(e == "n" ? "\n" : e)
                    } else {
                        value.append(c)
                    }
                    rest = rest.dropFirst()
                }
                guard rest.first == "\"" else { throw ParseError(line: number, message: "unterminated label value") }
                rest = rest.dropFirst()
                guard labels[label] == nil else { throw ParseError(line: number, message: "label \(label) twice") }
                labels[label] = value
                if rest.first == "," { rest = rest.dropFirst() }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw ParseError(line: number, message: "no space before value") }
        let fields = rest.dropFirst().split(separator: " ")
        guard fields.count == 1 || fields.count == 2 else { throw ParseError(line: number, message: "bad value part") }
        let text = String(fields[0])
        let value: Double
        switch text {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let v = Double(text) else { throw ParseError(line: number, message: "bad value \(text)") }
            value = v
        }
        return Sample(name: name, labels: labels, value: value)
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in
            sample.name == name && labels.allSatisfy { k, v in sample.labels[k] == v }
        }?.value
    }
}
