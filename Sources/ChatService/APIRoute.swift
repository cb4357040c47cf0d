import ChatTransport

/// The dynamic HTTP routes. Pure.
enum APIRoute: Equatable {
    case health
    case metrics
    case login
    case logout
    case me
    case transcripts
    case search
    case analytics
    case analyticsCSV
    case transcriptRating(String)
    case transcriptContext(String)
    case cannedReplies
    case cannedReply(String)
    case transcript(String)
    /// `/api/transcripts/export.csv`: the filtered listing, streamed.
    case transcriptListExport
    /// `/api/transcripts/{id}/export`: one transcript as text, JSON or print HTML.
    case transcriptExport(String)
    /// `/api/organizations`: organizations by name prefix (staff).
    case organizations
    /// `/api/audit`: the audit log (supervisors).
    case audit
    case tickets
    case ticket(String)
    case ticketReplies(String)
    case ticketStatus(String)
    /// `POST /api/transcripts/{id}/attachments?name=`: upload a file into an open chat (streamed body).
    case transcriptAttachments(String)
    /// `GET /api/attachments/{chat}-{seq}`: download one.
    case attachment(String)
    /// `/api/tickets/{n}/notes`: internal notes (staff).
    case ticketNotes(String)
    /// `/api/tickets/{n}/assignee` (staff).
    case ticketAssignee(String)
    /// `/api/staff`: staff members to assign tickets to (staff).
    case staffList

    init?(path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch segments.count {
        case 1 where segments[0] == "healthz": self = .health
        case 1 where segments[0] == "metrics": self = .metrics
        case 2 where segments[0] == "api":
            switch segments[1] {
            case "login": self = .login
            case "logout": self = .logout
            case "me": self = .me
            case "transcripts": self = .transcripts
            case "search": self = .search
            case "analytics": self = .analytics
            case "analytics.csv": self = .analyticsCSV
            case "canned-replies": self = .cannedReplies
            case "tickets": self = .tickets
            case "organizations": self = .organizations
            case "audit": self = .audit
            case "staff": self = .staffList
            default: return nil
            }
        case 3 where segments[0] == "api" && segments[1] == "transcripts" && segments[2] == "export.csv":
            self = .transcriptListExport
        case 3 where segments[0] == "api" && segments[1] == "transcripts": self = .transcript(segments[2])
        case 3 where segments[0] == "api" && segments[1] == "canned-replies": self = .cannedReply(segments[2])
        case 3 where segments[0] == "api" && segments[1] == "attachments": self = .attachment(segments[2])
        case 4 where segments[0] == "api" && segments[1] == "transcripts" && segments[3] == "attachments":
            self = .transcriptAttachments(segments[2])
        case 4 where segments[0] == "api" && segments[1] == "transcripts" && segments[3] == "export":
            self = .transcriptExport(segments[2])
        case 3 where segments[0] == "api" && segments[1] == "tickets": self = .ticket(segments[2])
        case 4 where segments[0] == "api" && segments[1] == "transcripts" && segments[3] == "rating":
            self = .transcriptRating(segments[2])
        case 4 where segments[0] == "api" && segments[1] == "transcripts" && segments[3] == "context":
            self = .transcriptContext(segments[2])
        case 4 where segments[0] == "api" && segments[1] == "tickets" && segments[3] == "replies":
            self = .ticketReplies(segments[2])
        case 4 where segments[0] == "api" && segments[1] == "tickets" && segments[3] == "status":
            self = .ticketStatus(segments[2])
        case 4 where segments[0] == "api" && segments[1] == "tickets" && segments[3] == "notes":
            self = .ticketNotes(segments[2])
        case 4 where segments[0] == "api" && segments[1] == "tickets" && segments[3] == "assignee":
            self = .ticketAssignee(segments[2])
        default: return nil
        }
    }

    func allows(_ method: HTTPMethod) -> Bool {
        switch self {
        case .login, .logout, .ticketReplies, .ticketStatus, .ticketNotes, .ticketAssignee, .transcriptRating,
             .transcriptAttachments:
            return method == .post
        case .health, .metrics, .me, .transcripts, .search, .analytics, .analyticsCSV, .transcript, .transcriptContext,
             .ticket, .transcriptListExport, .transcriptExport, .organizations, .audit, .staffList, .attachment:
            return method == .get
        case .tickets, .cannedReplies: return method == .get || method == .post
        case .cannedReply: return method == .put || method == .delete
        }
    }
}
