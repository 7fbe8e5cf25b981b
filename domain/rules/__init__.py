"""Pure business rules of the domain: functions of their arguments, with no database access."""
