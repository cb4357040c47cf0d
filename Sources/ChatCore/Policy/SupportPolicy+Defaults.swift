/// Shipped defaults, from the vendor policies in the seeds (shared/seeds).
extension SupportPolicy {
    /// Live chat for HV and above, for Pressero and eDocBuilder only; authorized contacts grow with the plan.
    public static let defaults = SupportPolicy(
        plans: [
            PlanTier(id: "basic", name: "Basic", rank: 1, liveChat: false, authorizedContacts: 2),
            PlanTier(id: "business", name: "Business", rank: 2, liveChat: false, authorizedContacts: 5),
            PlanTier(id: "hv", name: "HV", rank: 3, liveChat: true, authorizedContacts: 10),
            PlanTier(id: "enterprise", name: "Enterprise", rank: 4, liveChat: true, authorizedContacts: 15),
        ],
        products: [
            Product(id: "pressero", name: "Pressero", chatOffered: true),
            Product(id: "edocbuilder", name: "eDocBuilder", chatOffered: true),
            Product(id: "pjm", name: "PJM", chatOffered: false),
            Product(id: "tflow", name: "tFlow", chatOffered: false),
        ]
    )

    /// USA 9-5 Central with the US holidays of the SLA seed; Spain 9-5 Madrid time with Spain's national holidays
    /// (fixed-date ones; the seeds list none for Spain, so edit them in the policy file as needed).
    public static let defaultRegions: [SupportRegion] = [
        SupportRegion(
            id: "usa", name: "USA", timeZone: "America/Chicago",
            hours: WeeklyHours.weekdays(open: "09:00", close: "17:00"),
            holidays: [
                .fixed("New Year's Day", month: 1, day: 1),
                .nthWeekday("Memorial Day", month: 5, weekday: 1, ordinal: -1),
                .fixed("Independence Day", month: 7, day: 4),
                .nthWeekday("Labor Day", month: 9, weekday: 1, ordinal: 1),
                .nthWeekday("Thanksgiving Day", month: 11, weekday: 4, ordinal: 4),
                .relative("Friday after Thanksgiving", to: "Thanksgiving Day", offsetDays: 1),
                .fixed("Christmas Eve", month: 12, day: 24),
                .fixed("Christmas Day", month: 12, day: 25),
            ]),
        SupportRegion(
            id: "spain", name: "Spain", timeZone: "Europe/Madrid",
            hours: WeeklyHours.weekdays(open: "09:00", close: "17:00"),
            holidays: [
                .fixed("Año Nuevo", month: 1, day: 1),
                .fixed("Epifanía del Señor", month: 1, day: 6),
                .fixed("Fiesta del Trabajo", month: 5, day: 1),
                .fixed("Asunción de la Virgen", month: 8, day: 15),
                .fixed("Fiesta Nacional de España", month: 10, day: 12),
                .fixed("Todos los Santos", month: 11, day: 1),
                .fixed("Día de la Constitución", month: 12, day: 6),
                .fixed("Inmaculada Concepción", month: 12, day: 8),
                .fixed("Navidad", month: 12, day: 25),
            ]),
    ]

    /// First-response targets from the SLA seed: 4 hours, 1, 2 and 5 business days (a business day = 8 hours).
    public static let defaultSeverities: [SeverityLevel] = [
        SeverityLevel(level: 1, name: "Severity 1", description: "Not accessible or not functioning (customers cannot order, jobs cannot be produced).",
                      firstResponseBusinessHours: 4),
        SeverityLevel(level: 2, name: "Severity 2", description: "Noticeably impaired but accessible and functional.",
                      firstResponseBusinessHours: 8),
        SeverityLevel(level: 3, name: "Severity 3", description: "Information or help on capabilities, configuration or operation.",
                      firstResponseBusinessHours: 16),
        SeverityLevel(level: 4, name: "Severity 4", description: "Operation intact, no impact on business operations.",
                      firstResponseBusinessHours: 40),
    ]

    /// Professional-services rates from the newer policy seed.
    public static let defaultServiceRates: [ServiceRate] = [
        ServiceRate(id: "standard", name: "Setup work you could do in the admin (per hour)", hourlyRate: 125),
        ServiceRate(id: "technical", name: "Database, API or custom skinning work (per hour)", hourlyRate: 150),
    ]

    /// New -> anything; Open, Awaiting your reply and On-Hold move among themselves or close; Closed is final.
    public static let defaultTicketTransitions: [TicketTransition] = [
        TicketTransition(from: .new, to: [.open, .awaitingReply, .onHold, .closed]),
        TicketTransition(from: .open, to: [.awaitingReply, .onHold, .closed]),
        TicketTransition(from: .awaitingReply, to: [.open, .onHold, .closed]),
        TicketTransition(from: .onHold, to: [.open, .awaitingReply, .closed]),
        TicketTransition(from: .closed, to: []),
    ]
}
