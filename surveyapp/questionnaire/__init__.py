"""The questionnaire: its model and question types, loading, conditions, forms, answers."""
