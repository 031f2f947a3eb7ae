-- params: ["Security","4720","%$",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category", json_extract_string("winlog.event_data", '$."TargetUserName"') AS "TargetUserName"
FROM events
WHERE "winlog.channel" IN ($1)
  AND (list_transform([coalesce(json_extract_string("winlog.event_data", '$."EventID"'), CAST("winlog.event_id" AS VARCHAR))], lambda v1: coalesce(lower(v1) = lower($2), FALSE))[1] AND list_transform([json_extract_string("winlog.event_data", '$."TargetUserName"')], lambda v2: coalesce(lower(v2) LIKE $3 ESCAPE '\', FALSE))[1])
ORDER BY "@timestamp", "event.id"
LIMIT $4
