-- params: ["start","c:\\\\windows\\\\%\\\\cmd_.exe","echo *literal? 100\\%\\_done\\\\%",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE ("event.action" IN ($1))
  AND (((((coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."Image"'), "process.executable")) LIKE $2 ESCAPE '\', FALSE)))) AND (((coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."CommandLine"'), "process.command_line")) LIKE $3 ESCAPE '\', FALSE))))))
ORDER BY "@timestamp", "event.id"
LIMIT $4
