import ChatTransport

/// The dynamic HTTP routes. Pure.
enum APIRoute: Equatable {
    case health
    case login
    case logout
    case me
    case transcripts
    case transcript(String)

    init?(path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch segments.count {
        case 1 where segments[0] == "healthz": self = .health
        case 2 where segments[0] == "api":
            switch segments[1] {
            case "login": self = .login
            case "logout": self = .logout
            case "me": self = .me
            case "transcripts": self = .transcripts
            default: return nil
            }
        case 3 where segments[0] == "api" && segments[1] == "transcripts": self = .transcript(segments[2])
        default: return nil
        }
    }

    func allows(_ method: HTTPMethod) -> Bool {
        switch self {
        case .login, .logout: return method == .post
        case .health, .me, .transcripts, .transcript: return method == .get
        }
    }
}
