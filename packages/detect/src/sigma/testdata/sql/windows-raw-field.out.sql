-- params: ["Security","4720","%$",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category", json_extract_string("winlog.event_data", '$."TargetUserName"') AS "TargetUserName"
FROM events
WHERE ("winlog.channel" IN ($1))
  AND (((((coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."EventID"'), CAST("winlog.event_id" AS VARCHAR))) = lower($2), FALSE)))) AND (((coalesce(lower(json_extract_string("winlog.event_data", '$."TargetUserName"')) LIKE $3 ESCAPE '\', FALSE))))))
ORDER BY "@timestamp", "event.id"
LIMIT $4
