"""XLSForm in and out: forms written for KoboToolbox or ODK become questionnaires, and back.

`relevant` turns XLSForm `relevant` expressions into the questionnaire's conditions and
back; `kobomatrix` expands KoboToolbox's matrix question as KoboToolbox does; `errors` names
the sheet, row and column of what cannot be converted. pyxform, the reference converter,
validates every form read and written.
"""
