// Measures GzipDeflater per zlib level on Daftra-shaped JSON: microseconds per answer with a
// reused stream, and the compressed size. It informs the default of `--gzip-level`.
//
// Built by Benchmarks/gzip-levels.sh in one module with Sources/Compression/*.swift, so it
// measures the product code itself (hence no `import Compression`).

import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Daftra-shaped sample data

/// SplitMix64: deterministic, so every run measures the same documents.
struct Generator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
    mutating func pick<T>(_ values: [T]) -> T { values[int(0...(values.count - 1))] }
}

/// PHP's json_encode escapes non-ASCII as \uXXXX and "/" as "\/"; Daftra is a PHP application.
func phpEscaped(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "/": result += "\\/"
        case "\"": result += "\\\""
        case _ where scalar.value < 0x80: result.unicodeScalars.append(scalar)
        default:
            let hex = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }
    return result
}

func padded(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

let firstNames = ["أحمد", "محمد", "فاطمة", "سارة", "عمر", "ليلى", "Youssef", "Mona", "Karim", "Nour", "Omar", "Hana"]
let lastNames = ["منصور", "الشريف", "حسن", "إبراهيم", "Abdelrahman", "El-Sayed", "Farouk", "Khalil", "Mahmoud"]
let companies = ["Nile Delta Trading Co.", "Al Noor Pharmacies", "شركة الأمل للتوريدات", "Red Sea Logistics LLC",
                 "مؤسسة النخبة للمقاولات", "Cairo Print House", "Gulf Star Electronics", ""]
let cities = [("Cairo", "Cairo Governorate", "EG", "Africa/Cairo", "EGP"),
              ("Alexandria", "Alexandria", "EG", "Africa/Cairo", "EGP"),
              ("Riyadh", "Riyadh Province", "SA", "Asia/Riyadh", "SAR"),
              ("Jeddah", "Makkah Province", "SA", "Asia/Riyadh", "SAR"),
              ("Dubai", "Dubai", "AE", "Asia/Dubai", "AED")]
let notes = ["Prefers invoices in Arabic. Net 30. Contact before 2pm.", "", "عميل مميز - خصم 5% على الطلبات الكبيرة",
             "Call the accounts department for statements; send PDFs to the finance mailbox.",
             "VIP since 2019", "Requires PO number on every invoice."]
let categories = ["Wholesale", "Retail", "جملة", "Corporate", ""]

func date(_ g: inout Generator, from year: Int) -> String {
    "\(g.int(year...2024))-\(padded(g.int(1...12), 2))-\(padded(g.int(1...28), 2))"
}

func dateTime(_ g: inout Generator, from year: Int) -> String {
    date(&g, from: year) + " \(padded(g.int(0...23), 2)):\(padded(g.int(0...59), 2)):\(padded(g.int(0...59), 2))"
}

/// One `Client` object in Daftra's documented key order plus the extra keys live data carries.
func client(_ g: inout Generator) -> String {
    let id = g.int(100...99_999)
    let (city, state, country, zone, currency) = g.pick(cities)
    let first = g.pick(firstNames)
    let last = g.pick(lastNames)
    let business = g.pick(companies)
    let type = business.isEmpty ? 2 : 3
    let members: [(String, String)] = [
        ("id", "\"\(id)\""), ("is_offline", "\"0\""), ("client_number", "\"\(padded(g.int(1...9999), 7))\""),
        ("staff_id", "\"\(g.int(0...40))\""), ("business_name", "\"\(phpEscaped(business))\""),
        ("first_name", "\"\(phpEscaped(first))\""), ("last_name", "\"\(phpEscaped(last))\""),
        ("email", "\"client\(id)@mail\(g.int(1...9)).example\""),
        ("address1", "\"\(g.int(1...250)) El Tahrir St.\""), ("address2", "\"Floor \(g.int(1...20)), Office \(g.int(1...60))\""),
        ("city", "\"\(city)\""), ("state", "\"\(state)\""), ("postal_code", "\"\(g.int(10_000...99_999))\""),
        ("phone1", "\"+\(g.int(20...971)) \(g.int(10...99)) \(g.int(1000...9999)) \(g.int(1000...9999))\""),
        ("phone2", "\"\""), ("country_code", "\"\(country)\""), ("notes", "\"\(phpEscaped(g.pick(notes)))\""),
        ("active_secondary_address", "\"0\""), ("secondary_name", "\"\""), ("secondary_address1", "\"\""),
        ("secondary_address2", "\"\""), ("secondary_city", "\"\""), ("secondary_state", "\"\""),
        ("secondary_postal_code", "\"\""), ("secondary_country_code", "\"\""), ("default_currency_code", "\"\(currency)\""),
        ("last_login", "\"\(dateTime(&g, from: 2023))\""), ("suspend", "\"0\""),
        ("last_ip", "\"\(g.int(1...223)).\(g.int(0...255)).\(g.int(0...255)).\(g.int(1...254))\""),
        ("created", "\"\(dateTime(&g, from: 2016))\""), ("modified", "\"\(dateTime(&g, from: 2023))\""),
        ("follow_up_status", "null"), ("category", "\"\(phpEscaped(g.pick(categories)))\""),
        ("group_price_id", "\"\(g.int(0...3))\""), ("timezone", "\"\(phpEscaped(zone))\""),
        ("bn1", "\"\(g.int(100...999))-\(g.int(100...999))-\(g.int(100...999))\""), ("bn1_label", "\"Tax ID\""),
        ("bn2_label", "\"Commercial Register\""), ("bn2", "\"CR-\(g.int(10_000...99_999))\""),
        ("starting_balance", "\"\(g.int(0...50_000)).\(padded(g.int(0...99), 2))\""), ("type", "\"\(type)\""),
        ("birth_date", type == 2 ? "\"\(date(&g, from: 1960))\"" : "null"), ("gender", "null"),
        ("map_location", "\"\(g.int(21...31)).\(g.int(1000...9999)),\(g.int(29...55)).\(g.int(1000...9999)),15\""),
        ("credit_limit", "\"\(g.int(0...100) * 500).00\""), ("credit_period", "\"\(g.pick([0, 15, 30, 60]))\""),
        ("branch_id", "\"\(g.int(1...4))\""), ("language_code", "\"\(g.pick(["ara", "eng"]))\""),
        ("photo", "\"\(phpEscaped("https://cdn.daftra.example/files/clients/\(id)/logo.png"))\""), ("national_id", "\"\""),
    ]
    return "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
}

/// A page of the client list, the largest answer shape the upstream sends.
func clientList(_ g: inout Generator, count: Int) -> String {
    let items = (0..<count).map { _ in "{\"Client\":\(client(&g))}" }.joined(separator: ",")
    let pagination = "{\"prev\":null,\"next\":\"\\/api2\\/clients.json?page=2\",\"page\":1,\"page_count\":5,\"total_results\":98}"
    return "{\"code\":200,\"result\":\"successful\",\"data\":[\(items)],\"pagination\":\(pagination)}"
}

// MARK: Measurement

/// This thread's CPU time: the cost per answer, unaffected by other processes that share the
/// cores (wall-clock time on a busy 2-core machine would mostly measure their builds).
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Microseconds per call of `body` over 9 batches of about 40 ms each: the best batch (the
/// least disturbed by other work on the cores) and the median.
func microsecondsPerCall(_ body: (Int) -> Void) -> (best: Double, median: Double) {
    var calls = 0
    let warmUpStart = now()
    while now() - warmUpStart < 0.05 { body(calls); calls += 1 }
    let perBatch = max(20, Int(0.04 / ((now() - warmUpStart) / Double(calls))))
    var samples: [Double] = []
    for _ in 0..<9 {
        let start = now()
        for index in 0..<perBatch { body(index) }
        samples.append((now() - start) / Double(perBatch) * 1e6)
    }
    samples.sort()
    return (samples[0], samples[samples.count / 2])
}

struct Result {
    var microseconds: (best: Double, median: Double)
    var ratio: Double
    var compressedBytes: Int
}

func measure(level: Int32, documents: [[UInt8]]) -> Result {
    let deflater = try! GzipDeflater(level: level)
    var out: [UInt8] = []
    var compressed = 0
    for document in documents {
        out.removeAll(keepingCapacity: true)
        document.withUnsafeBytes { deflater.compress($0, into: &out) }
        compressed += out.count
    }
    let original = documents.reduce(0) { $0 + $1.count }
    let microseconds = microsecondsPerCall { index in
        out.removeAll(keepingCapacity: true)
        documents[index % documents.count].withUnsafeBytes { deflater.compress($0, into: &out) }
    }
    return Result(microseconds: microseconds, ratio: Double(compressed) / Double(original),
                  compressedBytes: compressed / documents.count)
}

func format(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = String(scaled / Int(scale))
    guard decimals > 0 else { return whole }
    return whole + "." + padded(scaled % Int(scale), decimals)
}

var generator = Generator(state: 0x6461_6674_7261)
let small = (0..<16).map { _ in Array(client(&generator).utf8) }
let large = (0..<4).map { _ in Array(clientList(&generator, count: 23).utf8) }
let smallSize = small.reduce(0) { $0 + $1.count } / small.count
let largeSize = large.reduce(0) { $0 + $1.count } / large.count

print("zlib \(String(cString: zlibVersion())); one reused stream per level")
print("µs = this thread's CPU time per answer: best / median of 9 batches")
print("documents: 16 single clients averaging \(smallSize) B; 4 list pages averaging \(largeSize) B")
print("")
print("| level | µs/answer \(smallSize) B | size | ratio | µs/answer \(largeSize) B | size | ratio |")
print("|---|---|---|---|---|---|---|")
func format(_ time: (best: Double, median: Double)) -> String {
    format(time.best, 1) + " / " + format(time.median, 1)
}

for level in Int32(1)...9 {
    let s = measure(level: level, documents: small)
    let l = measure(level: level, documents: large)
    print("| \(level) | \(format(s.microseconds)) | \(s.compressedBytes) B | \(format(s.ratio * 100, 1)) % "
        + "| \(format(l.microseconds)) | \(l.compressedBytes) B | \(format(l.ratio * 100, 1)) % |")
}

print("")
print("For comparison, a new stream per answer (\(smallSize) B):")
for level: Int32 in [1, 6] {
    let microseconds = microsecondsPerCall { index in
        var out: [UInt8] = []
        small[index % small.count].withUnsafeBytes { try! GzipDeflater(level: level).compress($0, into: &out) }
    }
    print("  level \(level): \(format(microseconds)) µs")
}
