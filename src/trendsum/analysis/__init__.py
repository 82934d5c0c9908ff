"""trendsum.analysis.run"""
