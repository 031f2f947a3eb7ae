SELECT "event.id"
FROM "events_process"
WHERE coalesce(len(list_filter(regexp_split_to_array(lower(concat_ws(chr(31), "event.action", "event.type", "event.outcome", "event.provider", "event.original", "host.name", array_to_string("tags", chr(31)), "message", "process.entity_id", "process.name", "process.executable", array_to_string("process.args", chr(31)), "process.command_line", "process.working_directory", "process.tty.name", "process.integrity_level", "process.capabilities.effective", "process.hash.md5", "process.hash.sha1", "process.hash.sha256", "process.pe.original_file_name", "process.pe.description", "process.pe.product", "process.pe.company", "process.pe.file_version", "process.pe.imphash", "process.code_signature.subject_name", "process.parent.entity_id", "process.parent.name", "process.parent.executable", "process.parent.command_line", array_to_string("process.parent.args", chr(31)), "user.id", "user.name", "user.domain", "user.effective.id", "user.effective.name", "user.audit.id", "user.audit.name", "group.id", "group.name", "process.parent.user.name", "process.logon_id", "winlog.channel", "winlog.provider_name", "winlog.computer_name", "winlog.task", "winlog.opcode", array_to_string("winlog.keywords", chr(31)), "winlog.level", "winlog.user.identifier", CAST("winlog.event_data" AS VARCHAR))), '[^[:alnum:]_]+'), lambda v1: abs(length(v1) - length($1)) <= $2 AND levenshtein(v1, $1) <= $2)) > 0, false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $3
-- kind: events
-- params: ["powershel",1,1000]
-- columns: event.id:keyword
