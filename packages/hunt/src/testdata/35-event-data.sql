SELECT "event.id", json_extract_string("winlog.event_data", $3) AS "winlog.event_data.TargetUserName"
FROM "events_log"
WHERE coalesce(json_extract_string("winlog.event_data", $1) ILIKE $2 ESCAPE '\', false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $4
-- kind: events
-- params: ["$.\"TargetUserName\"","administrator","$.\"TargetUserName\"",1000]
-- columns: event.id:keyword, winlog.event_data.TargetUserName:keyword
