import RedoxFS
