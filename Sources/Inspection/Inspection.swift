import ExtFS
import CDecompress
