# "20 июня 2023 14:30": E is the month in the genitive, as Russian needs after a day.
DATE_FORMAT = "j E Y"
DATETIME_FORMAT = "j E Y H:i"
SHORT_DATE_FORMAT = "d.m.Y"
