-- This family carries no billed day counts: its days come from stays, absences and attendance.
{{ no_billed_days() }}
