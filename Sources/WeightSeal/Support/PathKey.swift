/// A model path compared and hashed by its UTF-8 bytes, for dictionaries and sets of paths.
///
/// `String`'s `==` treats canonically equivalent spellings (`é` precomposed and decomposed) as equal, which would
/// merge two different file names; an `Array(path.utf8)` key compares bytes but allocates per lookup.
struct PathKey: Hashable, Sendable {
    let path: String

    init(_ path: String) { self.path = path }

    static func == (a: PathKey, b: PathKey) -> Bool { compareBytes(a.path, b.path) == 0 }

    func hash(into hasher: inout Hasher) {
        var p = path
        p.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(path.utf8.count)
    }
}
