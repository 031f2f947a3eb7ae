SELECT "event.id"
FROM "events_dns"
WHERE coalesce(regexp_matches("dns.question.name", $1, 'i'), false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $2
-- kind: events
-- params: ["^[a-z0-9]{30,}\\.",1000]
-- columns: event.id:keyword
