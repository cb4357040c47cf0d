import Foundation

/// What a person typed into a search box, as a safe FTS5 query. Words match whole words, a word ending in `*`
/// matches as a prefix, text in double quotes matches as a phrase; all must match (AND). Case and accents do not
/// matter. Nothing typed can be FTS5 syntax: every term is quoted.
///
/// Plain value; safe on any thread.
public struct SearchQuery: Sendable, Equatable {
    /// One term: a word, a prefix, or a phrase (several words in order).
    public struct Term: Sendable, Equatable {
        /// The term's words, lowercased and without accents (as the index compares them).
        public var words: [String]
        /// The last word matches as a prefix.
        public var isPrefix: Bool
    }

    public static let maxLength = 200
    public static let maxTerms = 16

    public var terms: [Term]

    /// Parses `text`; nil when it holds no word at all.
    public init?(_ text: String) {
        var terms: [Term] = []
        var rest = Substring(text.prefix(Self.maxLength))
        while !rest.isEmpty, terms.count < Self.maxTerms {
            rest = rest.drop(while: { $0.isWhitespace })
            guard let first = rest.first else { break }
            let chunk: Substring
            let quoted = first == "\""
            if quoted {
                let body = rest.dropFirst()
                let end = body.firstIndex(of: "\"") ?? body.endIndex
                chunk = body[..<end]
                rest = end < body.endIndex ? body[body.index(after: end)...] : body[end...]
            } else {
                let end = rest.firstIndex(where: { $0.isWhitespace }) ?? rest.endIndex
                chunk = rest[..<end]
                rest = rest[end...]
            }
            let isPrefix = !quoted && chunk.hasSuffix("*")
            let words = Self.words(chunk)
            if !words.isEmpty { terms.append(Term(words: words, isPrefix: isPrefix)) }
        }
        guard !terms.isEmpty else { return nil }
        self.terms = terms
    }

    /// The FTS5 MATCH expression: each term a quoted string (the tokenizer splits it as it split the text).
    public var matchExpression: String {
        terms.map { term in
            "\"" + term.words.joined(separator: " ") + "\"" + (term.isPrefix ? "*" : "")
        }.joined(separator: " ")
    }

    /// Words as the index's tokenizer sees them: runs of letters and digits, folded.
    static func words<S: StringProtocol>(_ text: S) -> [String] {
        var words: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(fold(current))
                current = ""
            }
        }
        if !current.isEmpty { words.append(fold(current)) }
        return words
    }

    static func fold(_ word: String) -> String {
        word.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
    }

    /// Whether a word of some text matches the term's word at `index` (prefix for a prefix term's last word).
    func matches(_ word: String, term: Term, index: Int) -> Bool {
        term.isPrefix && index == term.words.count - 1 ? word.hasPrefix(term.words[index]) : word == term.words[index]
    }

    /// The parts of `text` around its first match: short text before it, the text after, hits marked. Words that
    /// match any term's word are hits (a phrase's words are marked one by one).
    public func snippet(_ text: String, wordsBefore: Int = 8, wordsAfter: Int = 24) -> [SnippetPart] {
        // Split into alternating word and separator runs, keeping the original text.
        var runs: [(text: String, isWord: Bool)] = []
        for scalar in text.unicodeScalars {
            let isWord = CharacterSet.alphanumerics.contains(scalar)
            if let last = runs.last, last.isWord == isWord {
                runs[runs.count - 1].text.unicodeScalars.append(scalar)
            } else {
                runs.append((String(scalar), isWord))
            }
        }
        let hits = runs.map { run -> Bool in
            guard run.isWord else { return false }
            let folded = Self.fold(run.text)
            return terms.contains { term in term.words.indices.contains { matches(folded, term: term, index: $0) } }
        }
        let wordIndices = runs.indices.filter { runs[$0].isWord }
        let firstHit = hits.firstIndex(of: true) ?? 0
        let position = wordIndices.firstIndex(where: { $0 >= firstHit }) ?? 0
        let start = position - wordsBefore > 0 ? wordIndices[position - wordsBefore] : 0
        let endWord = position + wordsAfter
        let end = endWord < wordIndices.count ? wordIndices[endWord] : runs.count
        var parts: [SnippetPart] = []
        for index in start..<end {
            if let last = parts.last, last.hit == hits[index] {
                parts[parts.count - 1].text += runs[index].text
            } else {
                parts.append(SnippetPart(text: runs[index].text, hit: hits[index]))
            }
        }
        if start > 0 { parts.insert(SnippetPart(text: "…", hit: false), at: 0) }
        if end < runs.count { parts.append(SnippetPart(text: "…", hit: false)) }
        return parts
    }
}

/// A piece of a search snippet: text, and whether it matched the query.
public struct SnippetPart: Sendable, Equatable {
    public var text: String
    public var hit: Bool
}
