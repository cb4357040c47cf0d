import ChatCore

extension ChatError {
    /// `invalid_field` (400) for a bad query parameter value: the message starts with the parameter's name and
    /// `field` names it for programs.
    static func invalidParameter(_ name: String, _ rule: String) -> ChatError {
        ChatError(.invalidField, "\(name) \(rule)", details: ["field": name])
    }
}
