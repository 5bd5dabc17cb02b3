"""vi2en: Vietnamese to English machine translation and bilingual publishing."""

__version__ = "0.1.0"
