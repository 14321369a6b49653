"""Usage metering: what each event used (listener hours, interpreters' hours on air,
languages, recordings), totalled per event when it ends and kept as anonymous records,
so that billing outlives the participation data P09 deletes a week after the event."""
